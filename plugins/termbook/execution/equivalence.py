"""Run each term's equivalents (the same computation in PyTorch, scikit-learn, SciPy) and judge them.

An equivalent's code runs in the isolated runner like a snippet — its own forked process, the same
limits — in a warm worker that imported the library once. It runs once per case the snippet's
``inputs`` function returns; each output it names is compared, shape and values, with what the
snippet's ``reference`` function returns for the same case. The cache key is what was executed:
the code, the snippet and the snippets it imports (the cases and the reference come from them),
the tolerances, Python, NumPy and the library's version.

The verdict is an :class:`Agreement`; :class:`EquivalenceResult` carries the numbers the badge and
``terms.json`` show, and a located :class:`~termbook.errors.Problem` when it does not agree.
"""

from __future__ import annotations

import ast
import enum
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path

from ..errors import Problem, Severity, did_you_mean, relative
from ..model import Equivalent, Library, Term
from ..project import Project, as_project
from .cache import Cache, make_key
from .deps import dependencies, source_reader
from .pool import WorkerPool
from .protocol import Comparison, EquivalentSpec, Limits, RunReply, RunRequest, RunStatus
from .verification import cache_key as snippet_cache_key

# a warm worker with PyTorch has gigabytes mapped; the limit is what one run may add to that
LIMITS = Limits(timeout=60.0, memory_mb=4096)


class Agreement(enum.StrEnum):
    AGREES = "agrees"  # every output of every case within the tolerance
    DIFFERS = "differs"  # it ran, and an output differs (values or shape)
    FAILED = "failed"  # it raised, timed out or crashed: nothing was compared
    NOT_INSTALLED = "not-installed"  # the library is not installed in this build
    NOT_RUN = "not-run"  # snippets are not executed in this build

    @property
    def checked(self) -> bool:
        return self in (Agreement.AGREES, Agreement.DIFFERS, Agreement.FAILED)


@dataclass
class EquivalenceResult:
    """The verdict on one equivalent of one term."""

    slug: str
    index: int  # position in the term's ``equivalents`` list
    library: Library
    status: Agreement
    version: str = ""  # the library's version it ran with
    cases: int = 0
    outputs: tuple[str, ...] = ()
    max_rel: float = 0.0  # the largest norm-wise relative error over every output and case
    max_abs: float = 0.0
    reason: str = ""  # one line, when it does not agree
    details: str = ""  # traceback or the cases' list
    file: str = ""  # the term file, relative to the project
    line: int | None = None
    seconds: float = 0.0
    cached: bool = False
    comparisons: list[Comparison] = field(default_factory=list, repr=False)

    @property
    def agrees(self) -> bool:
        return self.status is Agreement.AGREES

    @property
    def disagrees(self) -> bool:
        """Checked, and it differs or could not be compared: a problem for the build."""
        return self.status in (Agreement.DIFFERS, Agreement.FAILED)

    def badge(self) -> str:
        """One line for the reader, e.g. 'Agrees with torch 2.14.1 on 6 inputs (max rel. error 3e-16)'.

        The version without its local label (PyTorch's ``+cu130`` or ``+cpu``: which build, not which
        release); ``version`` keeps it whole.
        """
        name = f"{self.library.distribution} {self.version.split('+')[0]}".rstrip()
        if self.status is Agreement.AGREES:
            what = "input" if self.cases == 1 else "inputs"
            return f"Agrees with {name} on {self.cases} {what} (max rel. error {self.max_rel:.0e})"
        if self.status is Agreement.DIFFERS:
            return f"Differs from the NumPy snippet with {name}: {self.reason}"
        if self.status is Agreement.FAILED:
            return f"Could not be checked with {name}: {self.reason}"
        if self.status is Agreement.NOT_INSTALLED:
            return f"Not checked in this build: {self.library.distribution} is not installed"
        return "Not checked in this build: snippets were not executed"

    def problem(self) -> Problem:
        return Problem(
            self.file,
            f"{self.slug}: the {self.library.display} equivalent {self.status.value}: {self.reason}",
            line=self.line,
            field=f"equivalents[{self.index}]",
            expected=f"every output ({', '.join(self.outputs)}) equal to the snippet's within the equivalent's rtol/atol",
            hint=(
                "state the difference in `conventions` and adapt the code (a transposed weight, a reordered gate), "
                "or fix the snippet if the library is right"
            ),
            severity=Severity.WARNING,
        )

    def to_dict(self) -> dict:
        return {
            "library": self.library.value,
            "status": self.status.value,
            "version": self.version,
            "cases": self.cases,
            "outputs": list(self.outputs),
            "max_rel_error": self.max_rel if math.isfinite(self.max_rel) else None,  # None: not comparable (shape, type)
            "max_abs_error": self.max_abs if math.isfinite(self.max_abs) else None,
            "reason": self.reason,
            "badge": self.badge(),
        }


@functools.cache
def library_version(library: Library) -> str | None:
    """The installed version, or None when the library cannot be imported here."""
    if util.find_spec(library.module) is None:
        return None
    try:
        return metadata.version(library.distribution)
    except metadata.PackageNotFoundError:
        return None


def judge(term: Term, index: int, reply: RunReply, file: str, version: str) -> EquivalenceResult:
    """The verdict on one run of an equivalent: pure."""
    entry = term.data.equivalents[index]
    line = code_line(term, index)
    result = EquivalenceResult(
        term.slug, index, entry.library, Agreement.FAILED, version=version, outputs=tuple(entry.outputs), file=file, line=line
    )
    result.seconds = reply.seconds
    run = reply.equivalence
    if reply.status is not RunStatus.RAN or run is None:
        result.reason = reply.reason or "it did not run"
        result.details = reply.stderr[-4000:]
        return result
    result.version = run.library_version or version
    result.cases = len(run.cases)
    result.comparisons = list(run.comparisons)
    if run.error is not None:
        where = {"inputs": f"{entry.inputs}()", "reference": f"{entry.reference}()", "code": "the code"}.get(run.failed_in, run.failed_in)
        case = f" on case {run.case + 1} ({run.cases[run.case]})" if run.case is not None and run.case < len(run.cases) else ""
        result.reason = f"{where} raised {run.error.type}: {run.error.message}{case}"
        result.details = run.error.traceback
        if run.failed_in == "code" and run.error.line is not None:
            result.line = code_line(term, index, run.error.line)
        return result
    agreeing = [c for c in run.comparisons if c.ok]
    result.max_rel = max((c.max_rel for c in agreeing if _scale(c) > entry.atol), default=0.0)
    result.max_abs = max((c.max_abs for c in agreeing), default=0.0)
    wrong = [c for c in run.comparisons if not c.ok]
    if not wrong:
        result.status = Agreement.AGREES
        return result
    result.status = Agreement.DIFFERS
    worst = max(wrong, key=lambda c: (c.note == "", c.max_abs))
    incomparable = any(c.got is None for c in wrong)  # a shape or type that cannot be compared element-wise
    result.max_rel = math.inf if incomparable else max(c.max_rel for c in run.comparisons)
    result.max_abs = math.inf if incomparable else max(c.max_abs for c in run.comparisons)
    result.reason = describe(worst, run.cases, entry) + (
        f" ({len(wrong)} of {len(run.comparisons)} comparisons differ)" if len(wrong) > 1 else ""
    )
    result.details = "cases:\n" + "\n".join(f"  {i + 1}. {c}" for i, c in enumerate(run.cases))
    return result


def _scale(c: Comparison) -> float:
    """The largest |snippet value| of a comparison (max_rel is max_abs divided by it).

    An output that is zero within ``atol`` on both sides (a gradient of 1e-16, say) has no
    meaningful relative error: dividing rounding noise by rounding noise gives anything. The badge's
    figure leaves such outputs out; their absolute error is within ``atol`` and counted in max_abs.
    """
    return c.max_abs / c.max_rel if c.max_rel > 0 else 0.0


def describe(c: Comparison, cases: tuple[str, ...], entry: Equivalent) -> str:
    """Where an output differs, and by how much, in one line."""
    case = f"case {c.case + 1}" + (f" ({cases[c.case]})" if c.case < len(cases) else "")
    if c.note and c.got is None:
        return f"`{c.output}` on {case}: {c.note}"
    where = f"[{', '.join(str(i) for i in c.index)}]" if c.index else ""
    return (
        f"`{c.output}{where}` on {case} is {c.got:.6g}, the snippet's {entry.reference}() gives {c.expected:.6g} "
        f"(largest difference {c.max_abs:.3g}, max rel. error {c.max_rel:.2g}; tolerance rtol={entry.rtol:g}, atol={entry.atol:g})"
    )


def code_line(term: Term, index: int, line_in_code: int = 1) -> int | None:
    """The term file's line of line ``line_in_code`` of an equivalent's code."""
    line, column = term.line_of("equivalents", index, "code")
    if line is None:
        return None
    try:
        text = term.path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return line
    block = text[(column or 1) - 1 :].lstrip().startswith(("|", ">"))  # a block scalar starts on the next line
    return line + (line_in_code if block else line_in_code - 1)


def cache_key(entry: Equivalent, source: str, deps: list[tuple[str, str]], package: str, version: str, limits: Limits) -> str:
    """What was executed: the snippet's own key (its source, imports, Python, NumPy, runner, limits),
    the library's version and the equivalent itself, tolerances included."""
    return make_key(
        {
            "kind": "equivalent",
            "snippet": snippet_cache_key(source, deps, limits, package),
            "library": [entry.library.value, version],
            "code": entry.code,
            "reference": entry.reference,
            "inputs": entry.inputs,
            "outputs": entry.outputs,
            "tolerance": [entry.rtol, entry.atol],
        }
    )


def verify_equivalents(
    terms: Iterable[Term],
    project: Project | Path,
    cache: Cache,
    *,
    run: bool = True,
    force: bool = False,
    jobs: int | None = None,
    progress: Callable[[EquivalenceResult], None] | None = None,
    pool: WorkerPool | None = None,
) -> dict[str, list[EquivalenceResult]]:
    """Every equivalent of every term with a snippet: run (or taken from the cache) and judged.

    Without ``pool``, a pool of workers warmed with the libraries needed is started for the
    runs and closed after them.
    """
    project = as_project(project)
    root, snippets_root = project.root, project.snippets_dir
    results: dict[str, list[EquivalenceResult | None]] = {}
    todo: list[tuple[Term, int, str, str, str]] = []  # term, index, key, file, version
    read = source_reader()

    for term in terms:
        if not term.data.equivalents or term.snippet is None:
            continue
        file = relative(term.path, root)
        slots = results[term.slug] = [None] * len(term.data.equivalents)
        snippet = term.snippet.resolve()
        for index, entry in enumerate(term.data.equivalents):
            version = library_version(entry.library)
            line = code_line(term, index)
            if not run or version is None:
                status = Agreement.NOT_RUN if not run else Agreement.NOT_INSTALLED
                slots[index] = EquivalenceResult(
                    term.slug, index, entry.library, status, outputs=tuple(entry.outputs), file=file, line=line
                )
                continue
            try:
                source = read(snippet)
                deps = [(relative(d, root), read(d)) for d in dependencies(snippet, snippets_root, read=read)]
            except (OSError, UnicodeDecodeError) as exc:
                slots[index] = EquivalenceResult(
                    term.slug, index, entry.library, Agreement.FAILED, reason=f"cannot read the snippet: {exc}", file=file, line=line
                )
                continue
            key = cache_key(entry, source, deps, snippets_root.name, version, LIMITS)
            hit = None if force else cache.get(key)
            reply = RunReply.from_json(hit) if hit is not None else None
            if reply is not None and reply.status.cacheable:
                result = slots[index] = judge(term, index, reply, file, version)
                result.cached = True
                if progress:
                    progress(result)
            else:
                todo.append((term, index, key, file, version))

    if todo:
        libraries = tuple(sorted({term.data.equivalents[index].library.module for term, index, *_ in todo}))
        requests = [
            RunRequest(
                str(term.snippet.resolve()),  # type: ignore[union-attr]
                str(snippets_root.parent),
                LIMITS,
                equivalent=spec(term, index, snippets_root),
            )
            for term, index, *_ in todo
        ]

        def done(i: int, reply: RunReply) -> None:
            term, index, key, file, version = todo[i]
            if reply.status.cacheable:
                cache.put(key, reply.to_json())
            result = results[term.slug][index] = judge(term, index, reply, file, version)
            if progress:
                progress(result)

        if pool is not None:
            pool.run_many(requests, on_result=done)
        else:
            with WorkerPool(project.import_root, jobs=jobs, warm=libraries) as own:
                own.run_many(requests, on_result=done)
    return {slug: [r for r in slots if r is not None] for slug, slots in results.items()}


def spec(term: Term, index: int, snippets_root: Path) -> EquivalentSpec:
    entry = term.data.equivalents[index]
    assert term.snippet is not None
    try:
        parts = term.snippet.resolve().relative_to(snippets_root.resolve()).with_suffix("").parts
        module = ".".join((snippets_root.name, *parts))
    except ValueError:  # a snippet outside the package: the worker loads it from its file
        module = ""
    return EquivalentSpec(
        module=module,
        code=entry.code,
        reference=entry.reference,
        inputs=entry.inputs,
        outputs=tuple(entry.outputs),
        rtol=entry.rtol,
        atol=entry.atol,
        library=entry.library.module,
    )


def static_problems(term: Term, file: str, snippet_file: str = "") -> list[Problem]:
    """What is wrong with a term's equivalents before anything runs: pure but for reading the snippet."""
    if not term.data.equivalents:
        return []
    line, column = term.line_of("equivalents")
    if term.snippet is None:
        return [
            Problem(
                file,
                "equivalents are compared with the term's snippet, and this term has none",
                line,
                column,
                "equivalents",
                "a snippet with the reference and inputs functions",
                "add the snippet (snippets/<module>.py), or remove the equivalents",
            )
        ]
    try:
        tree = ast.parse(term.snippet.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []  # the snippet's own problem, reported when it runs
    functions = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    snippet_file = snippet_file or term.snippet.name
    problems = []
    for i, entry in enumerate(term.data.equivalents):
        for name in ("reference", "inputs"):
            value = getattr(entry, name)
            if value not in functions:
                line, column = term.line_of("equivalents", i, name)
                close = did_you_mean(value, functions)
                problems.append(
                    Problem(
                        file,
                        f"{snippet_file} has no function {value}()",
                        line,
                        column,
                        f"equivalents[{i}].{name}",
                        "the name of a function defined at the top level of the snippet"
                        + (" that returns a list of dicts of named inputs" if name == "inputs" else ""),
                        close or f"define {value}() in {snippet_file}",
                    )
                )
        seen: set[str] = set()
        for j, output in enumerate(entry.outputs):
            if output in seen:
                line, column = term.line_of("equivalents", i, "outputs", j)
                problems.append(
                    Problem(file, f"'{output}' is listed twice", line, column, f"equivalents[{i}].outputs[{j}]", "each output once")
                )
            seen.add(output)
        try:
            compile(entry.code, "<equivalent>", "exec")
        except SyntaxError as exc:
            problems.append(
                Problem(
                    file,
                    f"the code is not valid Python: {exc.msg}",
                    code_line(term, i, exc.lineno or 1),
                    None,
                    f"equivalents[{i}].code",
                    "Python a reader could run",
                    "write it as a `code: |` block, indented under the key",
                )
            )
    return problems


def summary(results: dict[str, list[EquivalenceResult]]) -> dict[Agreement, int]:
    counts = dict.fromkeys(Agreement, 0)
    for entries in results.values():
        for result in entries:
            counts[result.status] += 1
    return counts
