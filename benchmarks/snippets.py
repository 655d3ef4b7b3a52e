"""Per-snippet cost of running code, four ways, side by side in one run.

    .venv/bin/python benchmarks/snippets.py [--n 1000] [--repeat 3] [--subprocess-n 100]

Generates N small NumPy snippets (functions, a demo that prints, a check) into a temporary
directory and measures, each repeated and the median taken:

  plain       compile + exec of every snippet in this process, output to a buffer: the work itself
  termbook    termbook's runner: warm workers, a fresh forked process per snippet with limits,
              checks run, output captured, verdict judged (wall clock, all cores, workers started cold)
  md-exec     markdown-exec executing the same code in-process while converting Markdown
              (time of the conversion with exec on, minus the same conversion with exec off)
  subprocess  a fresh `python snippet.py` per snippet (measured on --subprocess-n snippets)

It prints seconds per snippet for each and the overhead over `plain`. The target (issue 3):
termbook's per-snippet cost no larger than markdown-exec's.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SNIPPET = '''\
import numpy as np


def scaled_tanh(x, scale):
    """``scale * tanh(x)``; x of shape (N, D)."""
    return scale * np.tanh(x)


def check_odd_function():
    x = np.linspace(-2.0, 2.0, 7)
    assert np.allclose(scaled_tanh(-x, {k}), -scaled_tanh(x, {k}))


if __name__ == "__main__":
    rng = np.random.default_rng({seed})
    x = rng.normal(size=(3, 4))
    print("input mean:", round(float(x.mean()), 4))
    print(scaled_tanh(x, {k}).round(3))
'''


def body(source: str) -> str:
    """The same work without the __main__ guard, plus the check call (for in-process runners)."""
    demo = source.split('if __name__ == "__main__":\n', 1)
    lines = [line[4:] for line in demo[1].splitlines()]
    return demo[0] + "\n".join(lines) + "\ncheck_odd_function()\n"


def make(n: int, root: Path) -> list[Path]:
    snippets = root / "snippets"
    snippets.mkdir(parents=True)
    (snippets / "__init__.py").write_text("")
    paths = []
    for i in range(n):
        path = snippets / f"s{i:05d}.py"
        path.write_text(SNIPPET.format(k=1 + i % 5, seed=i))
        paths.append(path)
    return paths


def time_plain(paths: list[Path]) -> float:
    import numpy  # noqa: F401  - imported before timing, as in a warm process

    sources = [body(p.read_text()) for p in paths]
    start = time.perf_counter()
    for path, src in zip(paths, sources):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(src, str(path), "exec"), {"__name__": "snippet"})
    return time.perf_counter() - start


def time_termbook(paths: list[Path], root: Path) -> float:
    from termbook.execution.pool import Limits, RunRequest, WorkerPool
    from termbook.execution.verification import judge

    start = time.perf_counter()
    with WorkerPool(root) as pool:
        replies = pool.run_many([RunRequest(str(p), str(root), Limits()) for p in paths])
        for path, reply in zip(paths, replies):
            result = judge(path.stem, path.name, reply, reply.stdout, 1e-5, 1e-8)
            assert result.verified, result.reason
    return time.perf_counter() - start


def time_markdown_exec(paths: list[Path]) -> float:
    from markdown import Markdown
    from markdown_exec import formatter, validator

    outputs = [_plain_output(p) for p in paths]

    def convert(doc: str) -> float:
        fences = {"name": "python", "class": "python", "validator": validator, "format": formatter}
        md = Markdown(extensions=["pymdownx.superfences"], extension_configs={"pymdownx.superfences": {"custom_fences": [fences]}})
        start = time.perf_counter()
        md.convert(doc)
        return time.perf_counter() - start

    # exec on: markdown-exec runs each block and renders its output; the baseline renders the
    # same outputs as plain text blocks, so the difference is the cost of executing.
    executed = "\n\n".join(f'## {p.stem}\n\n```python exec="on"\n{body(p.read_text())}```' for p in paths)
    baseline = "\n\n".join(f"## {p.stem}\n\n```text\n{out}```" for p, out in zip(paths, outputs))
    return convert(executed) - convert(baseline)


def _plain_output(path: Path) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(body(path.read_text()), str(path), "exec"), {"__name__": "snippet"})
    return buf.getvalue()


def time_subprocess(paths: list[Path], root: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(root))
    start = time.perf_counter()
    for path in paths:
        subprocess.run([sys.executable, str(path)], check=True, capture_output=True, env=env, cwd=root)
    return time.perf_counter() - start


def median(fn, repeat: int) -> float:
    return statistics.median(fn() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subprocess-n", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make(args.n, root)
        plain = median(lambda: time_plain(paths), args.repeat) / args.n
        termbook = median(lambda: time_termbook(paths, root), args.repeat) / args.n
        mdexec = median(lambda: time_markdown_exec(paths), args.repeat) / args.n
        sub_paths = paths[: args.subprocess_n]
        sub = median(lambda: time_subprocess(sub_paths, root), 1) / len(sub_paths)
    cores = os.cpu_count()
    print(f"N = {args.n} snippets, {cores} cores, median of {args.repeat} runs (subprocess: 1 run of {len(sub_paths)})")
    print(f"{'runner':<12} {'ms/snippet':>11} {'overhead ms':>12}  notes")
    rows = [
        ("plain", plain, "in-process exec, no isolation: the work itself"),
        ("termbook", termbook, f"fork per snippet from warm workers, {cores} in parallel, checks + verdict"),
        ("md-exec", mdexec, "markdown-exec in-process, sequential"),
        ("subprocess", sub, "fresh interpreter per snippet"),
    ]
    for name, value, note in rows:
        print(f"{name:<12} {value * 1e3:>11.2f} {(value - plain) * 1e3:>12.2f}  {note}")
    verdict = "met" if termbook <= mdexec else f"missed by {(termbook - mdexec) * 1e3:.2f} ms"
    print(f"target termbook <= md-exec per snippet: {verdict}")


if __name__ == "__main__":
    main()
