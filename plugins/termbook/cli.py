"""The ``termbook`` command: ``new``, ``check``, ``render``, ``schema``.

Progress and summaries go to stderr; the table and reports to stdout. Exit status: 0 all good,
1 problems found (invalid terms, unverified snippets), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import Severity, format_report
from .execution.equivalence import Agreement, EquivalenceResult
from .execution.outputs import compare_output
from .execution.verification import SnippetResult, Verdict, expected_path
from .files import atomic_write_text
from .glossary import BuildOptions, load_and_verify
from .model import json_schema_text
from .project import Project
from .scaffold import ScaffoldError, new_term


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="termbook", description="A glossary whose every term has verified NumPy code.")
    parser.add_argument("--root", type=Path, default=Path("."), help="project directory (default: current)")
    sub = parser.add_subparsers(dest="command", required=True)

    p_new = sub.add_parser("new", help="scaffold terms/<slug>.yml and snippets/<module>.py")
    p_new.add_argument("name", help='display name, e.g. "Layer Normalization"')

    p_check = sub.add_parser("check", help="validate every term and verify every snippet")
    p_check.add_argument("--update", action="store_true", help="show new outputs and pin them after confirmation")
    p_check.add_argument("--yes", "-y", action="store_true", help="with --update: pin without asking")
    p_check.add_argument("--force", action="store_true", help="ignore the cache and run every snippet")
    p_check.add_argument("--no-run", action="store_true", help="validate term files only")
    p_check.add_argument("--jobs", "-j", type=int, default=None, help="snippets run in parallel (default: cores)")
    p_check.add_argument("--json", type=Path, default=None, metavar="PATH", help="write a JSON report for CI")
    p_check.add_argument("--term", action="append", default=[], metavar="SLUG", help="only these terms (repeatable)")
    p_check.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="verify only part K of N (a stable split by term; all terms are validated)",
    )
    p_check.add_argument("--suggestions", action="store_true", help="list every suggestion (default: one summary line)")

    p_render = sub.add_parser("render", help="write the finished site (Markdown, MathML, SVG, assets, config) into a folder")
    p_render.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write (created; must be empty or a previous render)"
    )
    p_render.add_argument("--force", action="store_true", help="ignore the cache and run every snippet")
    p_render.add_argument("--no-run", action="store_true", help="do not run snippets (pages show the code without output)")
    p_render.add_argument("--jobs", "-j", type=int, default=None, help="snippets run in parallel (default: cores)")

    p_schema = sub.add_parser("schema", help="print the JSON Schema of term files")
    p_schema.add_argument("--write", action="store_true", help="write schema/term.schema.json instead")

    args = parser.parse_args(argv)
    project = Project.discover(args.root.resolve())  # the folders and options of its mkdocs.yml
    try:
        if args.command == "new":
            return _new(project, args.name)
        if args.command == "schema":
            return _schema(project.root, args.write)
        if args.command == "render":
            return _render(project, args)
        return _check(project, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not K/N, e.g. 2/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"'{text}': K must be between 1 and N")
    return k, n


def _new(project: Project, name: str) -> int:
    root = project.root
    try:
        written = new_term(project, name)
    except ScaffoldError as exc:
        print(f"termbook new: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"created {path.relative_to(root)}", file=sys.stderr)
    print("next: fill them in, then run `termbook check --update`", file=sys.stderr)
    return 0


def _schema(root: Path, write: bool) -> int:
    text = json_schema_text()
    if not write:
        sys.stdout.write(text)
        return 0
    target = root / "schema" / "term.schema.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)
    print(f"wrote {target.relative_to(root)}", file=sys.stderr)
    return 0


def _render(project: Project, args) -> int:
    from .standalone import render_site

    started = time.perf_counter()
    options = BuildOptions(project, run_snippets=not args.no_run, force=args.force, jobs=args.jobs)
    written, problems = render_site(options, args.out.resolve())
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if problems:
        print(format_report(problems), file=sys.stderr)
    if errors:
        print("termbook render: nothing written", file=sys.stderr)
        return 1
    print(
        f"wrote {written} files to {args.out} in {time.perf_counter() - started:.1f} s; build it with "
        f"`mkdocs build -f {args.out}/mkdocs.yml` or `zensical build -f {args.out}/mkdocs.yml`",
        file=sys.stderr,
    )
    return 0


def _check(project: Project, args) -> int:
    root = project.root
    started = time.perf_counter()
    progress = _Progress(sys.stderr)
    options = BuildOptions(
        project,
        run_snippets=not args.no_run,
        force=args.force,
        jobs=args.jobs,
        only=frozenset(args.term),
        shard=args.shard,
        audit_html=True,
    )
    build = load_and_verify(options, progress=progress.step if not args.no_run else None)
    progress.finish()
    errors = build.errors
    if errors:
        print(format_report(errors), file=sys.stderr)
    results = build.results
    unknown = sorted(set(args.term) - {t.slug for t in build.terms})
    if unknown:
        print(f"termbook check: no such term: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.update and results:
        _update(root, build, results, assume_yes=args.yes)
    if results:
        _table(results, sys.stdout)
    suggestions = build.suggestions
    if suggestions and not errors:
        if args.suggestions:
            print(f"\nsuggestions ({len(suggestions)}; none of them is an error):", file=sys.stdout)
            for problem in suggestions:
                print(f"  {problem.location()}: {problem.message}", file=sys.stdout)
        else:
            terms_with = len({p.file for p in suggestions})
            print(
                f"\n{len(suggestions)} suggestions in {terms_with} terms (mentions not listed as related, symbols missing from the notation; "
                "none is an error): `termbook check --suggestions` lists them",
                file=sys.stdout,
            )
    unverified = [r for r in results.values() if not r.verified]
    for result in unverified:
        print(result.problem().format(), file=sys.stderr)
        if result.details.strip():
            print(_indent(result.details.rstrip()), file=sys.stderr)
    equivalents = [r for entries in build.equivalents.values() for r in entries]
    disagreeing = [r for r in equivalents if r.disagrees]
    for equivalent in disagreeing:
        print(equivalent.problem().format(), file=sys.stderr)
        if equivalent.details.strip():
            print(_indent(equivalent.details.rstrip()), file=sys.stderr)
    if args.json:
        report = {
            "terms": len(build.terms),
            "errors": [p.__dict__ for p in errors],
            "snippets": [
                {
                    "term": r.slug,
                    "snippet": r.snippet,
                    "status": r.status.value,
                    "verified": r.verified,
                    "reason": r.reason,
                    "seconds": round(r.seconds, 4),
                    "peak_memory_kb": r.max_rss_kb,
                    "cached": r.cached,
                    "failure": r.failure.value if r.failure else None,
                    "checks": [{"name": c.name, "ok": c.ok} for c in r.checks],
                }
                for r in results.values()
            ],
            "equivalents": [{"term": r.slug, "index": r.index, "cached": r.cached, **r.to_dict()} for r in equivalents],
        }
        atomic_write_text(args.json, json.dumps(report, indent=2) + "\n")
    ran = sum(not r.cached for r in results.values())
    summary = (
        f"{len(build.terms)} terms, {len(errors)} errors, {len(suggestions)} suggestions; {len(results)} snippets: "
        f"{len(results) - len(unverified)} verified, {len(unverified)} not verified "
        f"({ran} run, {len(results) - ran} cached) in {time.perf_counter() - started:.1f} s"
    )
    print(summary, file=sys.stderr)
    if equivalents:
        print(_equivalents_summary(equivalents), file=sys.stderr)
    return 1 if errors or unverified or disagreeing else 0


def _equivalents_summary(equivalents: list[EquivalenceResult]) -> str:
    """E.g. 'equivalents: 46 checked (45 agree, 1 differs, 0 failed), 3 not run (torch is not installed)'."""
    count = {status: sum(r.status is status for r in equivalents) for status in Agreement}
    checked = count[Agreement.AGREES] + count[Agreement.DIFFERS] + count[Agreement.FAILED]
    ran = sum(r.status.checked and not r.cached for r in equivalents)
    line = (
        f"{len(equivalents)} equivalent{'s' if len(equivalents) != 1 else ''}: {checked} checked ({count[Agreement.AGREES]} agree, {count[Agreement.DIFFERS]} differ, "
        f"{count[Agreement.FAILED]} failed; {ran} run, {checked - ran} cached)"
    )
    missing = sorted({r.library.distribution for r in equivalents if r.status is Agreement.NOT_INSTALLED})
    not_run = count[Agreement.NOT_INSTALLED] + count[Agreement.NOT_RUN]
    if not_run:
        why = [f"{', '.join(missing)} not installed"] if missing else []
        if count[Agreement.NOT_RUN]:
            why.append("snippets not executed")
        line += f", {not_run} not run ({'; '.join(why)})"
    return line


def _update(root: Path, build, results: dict[str, SnippetResult], assume_yes: bool) -> None:
    interactive = sys.stdin.isatty()
    terms = {t.slug: t for t in build.terms}
    for slug, result in results.items():
        if result.verified or result.failure is None or not result.failure.pinnable:
            continue  # only a run that passed all its checks and differs only in output may be pinned
        term = terms[slug]
        target = expected_path(term.snippet)
        print(f"\n== {slug}: {target.relative_to(root)}", file=sys.stderr)
        if result.expected is None:
            print("(no pinned output yet) new output:", file=sys.stderr)
            print(_indent(result.stdout.rstrip()), file=sys.stderr)
        else:
            print(result.details, file=sys.stderr)
        if assume_yes:
            answer = "y"
        elif interactive:
            try:
                answer = input(f"Pin this output for {slug}? [y/N] ").strip().lower()
            except EOFError:  # Ctrl-D: the same as no
                answer = ""
        else:
            print("not pinned: standard input is not a terminal; rerun with --yes to pin", file=sys.stderr)
            continue
        if answer in ("y", "yes"):
            atomic_write_text(target, result.stdout)
            result.expected = result.stdout
            if compare_output(result.expected, result.stdout, term.data.verify.rtol, term.data.verify.atol) is None:
                result.status, result.failure, result.reason, result.details = Verdict.VERIFIED, None, "", ""
            print(f"pinned {target.relative_to(root)}", file=sys.stderr)


def _table(results: dict[str, SnippetResult], out) -> None:
    width = max([len("term")] + [len(s) for s in results])
    out.write(f"{'term':<{width}}  {'status':<12}  {'time':>8}  {'memory':>9}\n")
    for slug, r in results.items():
        status = r.status.value + (" (cached)" if r.cached else "")
        out.write(f"{slug:<{width}}  {status:<12}  {r.seconds:>7.3f}s  {r.max_rss_kb / 1024:>7.1f}MB\n")


class _Progress:
    """A one-line progress bar on a terminal; nothing otherwise (CI logs stay readable)."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()
        self.count = 0

    def step(self, result: SnippetResult) -> None:
        self.count += 1
        if self.tty:
            self.stream.write(f"\r\033[Kverifying snippets: {self.count} done, last {result.slug} ({result.status.value})")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.count:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


if __name__ == "__main__":
    sys.exit(main())
