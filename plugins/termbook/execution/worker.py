"""A warm worker: NumPy imported once, then one fresh forked process per snippet.

Run as ``python -m termbook.execution.worker``. It reads one JSON request per line on stdin and answers one
JSON line on stdout. For each request it forks; the child isolates itself (own process group,
empty temporary working directory, stdin from /dev/null, resource limits, no root rights) and runs
the snippet as ``__main__`` under its real file name, then its ``check_*``/``test_*`` functions.
The parent enforces the wall-clock timeout, kills the child's whole process group afterwards and
reports how it ended. The fork is what makes isolation cheap: the child starts with NumPy loaded.

This module is imported by the worker process only; it imports nothing of termbook but
:mod:`.protocol` (standard library only; snippets import :mod:`termbook.checks`, which stays cheap).
Requests and replies are the JSON forms of :class:`~.protocol.RunRequest` and
:class:`~.protocol.RunReply`.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
import types

from termbook.execution.protocol import RunStatus

NOBODY = 65534
RESULT_LIMIT = 8 * 1024 * 1024


# what a worker for equivalents imports before it forks (TERMBOOK_WARM=torch,sklearn,scipy)
WARM_MODULES = {
    "torch": ("torch", "torch.nn", "torch.nn.functional"),
    "sklearn": (
        "sklearn",
        "sklearn.metrics",
        "sklearn.linear_model",
        "sklearn.decomposition",
        "sklearn.cluster",
        "sklearn.neighbors",
        "sklearn.tree",
        "sklearn.model_selection",
        "sklearn.preprocessing",
    ),
    "scipy": ("scipy", "scipy.special", "scipy.stats", "scipy.signal", "scipy.linalg", "scipy.optimize", "scipy.spatial"),
}


def main() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import numpy  # noqa: F401  - the point of a warm worker

    for library in filter(None, os.environ.get("TERMBOOK_WARM", "").split(",")):
        for name in WARM_MODULES.get(library, (library,)):
            try:
                __import__(name)
            except Exception:  # not installed, or broken: the equivalent's own import will say so
                break

    try:
        import termbook.checks  # noqa: F401
    except ImportError:
        pass
    global _CAN_DROP_ROOT
    _CAN_DROP_ROOT = _probe_drop_root()
    _become_subreaper()
    _warm_up()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = handle(request)
        except Exception as exc:  # the worker must survive anything a request does
            reply = {"id": request.get("id"), "status": RunStatus.ERROR.value, "reason": f"runner failure: {exc!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def _warm_up() -> None:
    """Do once here what every snippet would otherwise pay for after its fork.

    NumPy initialises printing, random generators and ctypes lazily; done in the parent, the
    children inherit the result. ``gc.freeze()`` then moves every object into a generation the
    collector never scans, so a child's garbage collections do not touch (and copy) every page it
    shares with this process.
    """
    import gc
    import io

    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    print(x, x.round(3), float(x.mean()), np.float64(1.5), file=io.StringIO())
    np.testing.assert_allclose(x, x)
    if _CAN_DROP_ROOT:
        _capabilities_api()
    gc.collect()
    gc.freeze()


def handle(req: dict) -> dict:
    workdir = tempfile.mkdtemp(prefix="termbook-run-", dir=_SCRATCH)
    os.chmod(workdir, 0o711)  # the child may run as nobody and must reach cwd/
    stdout_path = os.path.join(workdir, ".stdout")
    stderr_path = os.path.join(workdir, ".stderr")
    cwd = os.path.join(workdir, "cwd")
    os.mkdir(cwd)
    result_r, result_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        os.close(result_r)
        code = 70
        try:
            code = _child(req, cwd, stdout_path, stderr_path, result_w)
        finally:
            os._exit(code)
    os.close(result_w)
    try:
        os.setpgid(pid, pid)  # also done in the child; whichever runs first wins the race
    except OSError:
        pass
    data, timed_out = _collect(pid, result_r, float(req["timeout"]))
    seconds = time.perf_counter() - started
    _kill_group(pid)
    _, status, usage = os.wait4(pid, 0)
    _kill_group(pid)
    _kill_strays()
    stdout = _read_capped(stdout_path, int(req["output_bytes"]))
    stderr = _read_capped(stderr_path, 64 * 1024)
    shutil.rmtree(workdir, ignore_errors=True)
    reply = {
        "id": req.get("id"),
        "seconds": seconds,
        "max_rss_kb": usage.ru_maxrss,
        "stdout": stdout[0],
        "stdout_truncated": stdout[1],
        "stderr": stderr[0],
    }
    result = None
    if data:
        try:
            result = json.loads(data.decode("utf-8", "replace"))
        except ValueError:
            result = None
    if stdout[1] and not timed_out:
        reply.update(status=RunStatus.LIMIT.value, reason=f"output limit exceeded: more than {req['output_bytes']} bytes printed")
    elif timed_out:
        reply.update(status=RunStatus.TIMEOUT.value, reason=f"timed out after {req['timeout']:g} s (wall clock); the process was killed")
    elif os.WIFSIGNALED(status) and result is None:
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        why = {
            "SIGSEGV": "the interpreter crashed (segmentation fault)",
            "SIGKILL": "the process was killed (out of memory?)",
            "SIGXFSZ": "output limit exceeded",
            "SIGXCPU": "CPU time limit exceeded",
        }.get(name, "the process was killed by a signal")
        reply.update(status=RunStatus.CRASHED.value, reason=f"{why} ({name})")
    elif result is None:
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        reply.update(
            status=RunStatus.CRASHED.value, reason=f"the process exited with status {code} before reporting its checks (os._exit?)"
        )
    else:
        reply.update(result)
    return reply


def _collect(pid: int, fd: int, timeout: float) -> tuple[bytes, bool]:
    """Read the child's result pipe until EOF or the deadline; True if the deadline passed."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        open_fds = [fd] + ([pidfd] if pidfd is not None else [])
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b"".join(chunks), True
            ready, _, _ = select.select(open_fds, [], [], min(remaining, 0.5 if pidfd is None else remaining))
            if fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return b"".join(chunks), False
                size += len(chunk)
                if size <= RESULT_LIMIT:
                    chunks.append(chunk)
            if (pidfd is not None and pidfd in ready) or (pidfd is None and _exited(pid)):
                os.set_blocking(fd, False)
                try:
                    while chunk := os.read(fd, 65536):
                        if size + len(chunk) <= RESULT_LIMIT:
                            chunks.append(chunk)
                        size += len(chunk)
                except BlockingIOError:
                    pass
                return b"".join(chunks), False
    finally:
        os.close(fd)
        if pidfd is not None:
            os.close(pidfd)


def _become_subreaper() -> None:
    """Orphans of a snippet (e.g. a child that left its process group with setsid) become our
    children instead of init's, so :func:`_kill_strays` can find and end them."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _children() -> list[int]:
    pids: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return pids


def _kill_strays() -> None:
    """Kill and reap every process a finished snippet left behind (we run one snippet at a time,
    so any child of this worker now is a leftover)."""
    for _ in range(100):
        strays = _children()
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _exited(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_capped(path: str, limit: int) -> tuple[str, bool]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError:
        return "", False
    return data[:limit].decode("utf-8", "replace"), len(data) > limit


# --- in the child -----------------------------------------------------------------------------


def _child(req: dict, cwd: str, stdout_path: str, stderr_path: str, result_w: int) -> int:
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write raises OSError instead of killing
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(stdout_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (null, out, err):
        os.close(fd)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    if _CAN_DROP_ROOT and req.get("drop_root", True):
        os.chown(cwd, NOBODY, NOBODY)  # stdout/stderr stay writable through their open fds
        _drop_root()
    os.chdir(cwd)
    os.environ.update(HOME=cwd, TMPDIR=cwd, MPLCONFIGDIR=cwd, PYTHONHASHSEED="0")
    tempfile.tempdir = cwd
    headroom = int(req["memory_mb"]) * 1024 * 1024
    # an equivalent's worker has a library mapped already (PyTorch maps gigabytes it never touches):
    # the limit is what the run may add to that
    _limit(resource.RLIMIT_AS, headroom + (_mapped_bytes() if req.get("equivalent") else 0))
    _limit(resource.RLIMIT_FSIZE, int(req["output_bytes"]) + 1)
    _limit(resource.RLIMIT_CPU, int(float(req["timeout"])) + 2)
    _limit(resource.RLIMIT_CORE, 0)
    if req.get("max_processes"):
        _limit(resource.RLIMIT_NPROC, int(req["max_processes"]))
    me = os.getpid()
    spec = req.get("equivalent")
    result = run_equivalent(req["path"], req["root"], spec) if spec else run_snippet(req["path"], req["root"])
    if os.getpid() != me:  # a process the snippet forked got here too: only the real child reports
        return 0
    payload = json.dumps(result).encode()
    view = memoryview(payload)
    while view:
        written = os.write(result_w, view)
        view = view[written:]
    os.close(result_w)
    _flush()
    return 0


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # over the output limit, or closed by the snippet
            pass


def _drop_root() -> None:
    """Become ``nobody`` but keep CAP_DAC_READ_SEARCH.

    As nobody the snippet cannot write into the repository, kill the worker, or escape the
    process limit (RLIMIT_NPROC is not enforced for root). The one capability kept lets it still
    *read* what root could (the interpreter's standard library often lives under /root).
    """
    import ctypes

    libc, Header, Data = _capabilities_api()
    if libc.prctl(8, 1, 0, 0, 0) != 0:  # PR_SET_KEEPCAPS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_KEEPCAPS) failed")
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    data[0].effective = data[0].permitted = 1 << 2  # CAP_DAC_READ_SEARCH
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


@functools.cache
def _capabilities_api():
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    return ctypes.CDLL(None, use_errno=True), Header, Data


def _scratch_dir() -> str | None:
    """A memory-backed directory for the per-run scratch space when there is one (faster)."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


_SCRATCH = _scratch_dir()


def _probe_drop_root() -> bool:
    """Can this machine run snippets as nobody? Tried once, in a throwaway child."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        try:
            _drop_root()
            import unittest  # noqa: F401  - something not yet imported, from the standard library

            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


_CAN_DROP_ROOT = False


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass


def run_snippet(path: str, root: str) -> dict:
    """Run the snippet as ``__main__``, then every check it defines. Returns a JSON-able dict."""
    _importable(root)
    sys.argv = [path]
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__  # type: ignore[attr-defined]
    sys.modules["__main__"] = module
    result: dict = {"status": RunStatus.RAN.value, "checks": [], "demo_error": None}
    started = time.perf_counter()
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        code = compile(source, path, "exec")
        exec(code, module.__dict__)  # noqa: S102 - running the snippet is what the worker is for
    except BaseException as exc:
        result["demo_error"] = _describe(exc, path)
    result["demo_seconds"] = time.perf_counter() - started
    _flush()
    result["figures"] = _figures()
    checks = [
        (name, obj)
        for name, obj in list(module.__dict__.items())
        if (name.startswith("check_") or name.startswith("test_"))
        and callable(obj)
        and getattr(getattr(obj, "__code__", None), "co_filename", None) == path
    ]
    for name, fn in checks:
        started = time.perf_counter()
        entry = {"name": name, "ok": True}
        try:
            fn()
        except BaseException as exc:
            entry.update(ok=False, error=_describe(exc, path))
        entry["seconds"] = time.perf_counter() - started
        result["checks"].append(entry)
    return _with_versions(result)


EQUIVALENT_FILE = "<equivalent>"  # the file name of the equivalent's code in tracebacks


def run_equivalent(path: str, root: str, spec: dict) -> dict:
    """Run an equivalent's code on each of the snippet's cases; compare its outputs with the snippet's.

    The snippet is imported as a module (its demo does not run). Each case is deep-copied for the
    reference and again for the code, so neither sees what the other changed in place.
    """
    import copy
    import importlib

    _importable(root)
    outputs = list(spec["outputs"])
    result: dict = {"status": RunStatus.RAN.value, "checks": [], "demo_error": None}
    run: dict = {"library_version": "", "cases": [], "comparisons": []}
    result["equivalence"] = run

    def failed(where: str, exc: BaseException, file: str, case: int | None = None) -> dict:
        run.update(error=_describe(exc, file), failed_in=where, case=case)
        return _finish(result, spec)

    try:
        module = importlib.import_module(spec["module"]) if spec["module"] else _load(path)
        reference = getattr(module, spec["reference"])
        cases = list(getattr(module, spec["inputs"])())
        for i, case in enumerate(cases):
            if not isinstance(case, dict) or not all(isinstance(k, str) and k.isidentifier() for k in case):
                raise TypeError(f"case {i + 1} is a {type(case).__name__}, not a dict of named inputs")
        if not cases:
            raise ValueError(f"{spec['inputs']}() returned no cases")
    except BaseException as exc:
        return failed("inputs", exc, path)
    run["cases"] = [_describe_case(case) for case in cases]
    try:
        code = compile(spec["code"], EQUIVALENT_FILE, "exec")
    except SyntaxError as exc:
        return failed("code", exc, EQUIVALENT_FILE)
    for i, case in enumerate(cases):
        try:
            expected = reference(**copy.deepcopy(case))
            if len(outputs) > 1:
                if not isinstance(expected, (tuple, list)) or len(expected) != len(outputs):
                    count = len(expected) if isinstance(expected, (tuple, list)) else 1
                    raise TypeError(f"{spec['reference']}() returned {count} value(s); the equivalent compares {len(outputs)}")
                expected = list(expected)
            else:
                expected = [expected]
        except BaseException as exc:
            return failed("reference", exc, path, i)
        namespace: dict = {"__name__": "__equivalent__", "__builtins__": __builtins__, **copy.deepcopy(case)}
        try:
            exec(code, namespace)  # noqa: S102 - running the reader's code is the point
            missing = [name for name in outputs if name not in namespace]
            if missing:
                raise NameError(f"the code does not set {', '.join(missing)}")
        except BaseException as exc:
            return failed("code", exc, EQUIVALENT_FILE, i)
        for name, want in zip(outputs, expected):
            run["comparisons"].append(_compare(i, name, namespace[name], want, float(spec["rtol"]), float(spec["atol"])))
    return _finish(result, spec)


def _load(path: str) -> types.ModuleType:
    import importlib.util

    found = importlib.util.spec_from_file_location("__snippet__", path)
    if found is None or found.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(found)
    sys.modules["__snippet__"] = module
    found.loader.exec_module(module)
    return module


def _finish(result: dict, spec: dict) -> dict:
    module = sys.modules.get(spec["library"])
    result["equivalence"]["library_version"] = str(getattr(module, "__version__", "")) if module else ""
    return _with_versions(result)


def _importable(root: str) -> None:
    """The snippets package importable from ``root``, and nothing written beside it."""
    if root not in sys.path:
        sys.path.insert(0, root)
    sys.dont_write_bytecode = True


def _with_versions(result: dict) -> dict:
    """The run's result with the versions it ran under, once its output is flushed."""
    _flush()
    import numpy

    result["numpy"] = numpy.__version__
    result["python"] = sys.version.split()[0]
    return result


def _as_array(value):
    import numpy as np

    for method in ("detach", "cpu"):  # a PyTorch tensor
        if hasattr(value, method) and not isinstance(value, np.ndarray):
            value = getattr(value, method)()
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):  # a SciPy sparse matrix
        value = value.toarray()
    if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, np.generic)):
        value = value.numpy()
    return np.asarray(value)


def _describe_case(case: dict) -> str:
    import numpy as np

    parts = []
    for name, value in case.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{name}: {value.dtype} {tuple(value.shape)}")
        elif isinstance(value, (int, float, bool, str, np.generic)) or value is None:
            parts.append(f"{name}={value!r}" if not isinstance(value, np.generic) else f"{name}={value.item()!r}")
        else:
            parts.append(f"{name}: {type(value).__name__}")
    return ", ".join(parts)[:300]


def _compare(case: int, name: str, got, want, rtol: float, atol: float) -> dict:
    """``got`` against ``want`` as in ``numpy.allclose(got, want, rtol, atol, equal_nan=True)``, with the worst element."""
    import numpy as np

    entry: dict = {"case": case, "output": name, "ok": False, "shape": None, "expected_shape": None}
    try:
        a, b = _as_array(got), _as_array(want)
    except Exception as exc:
        entry["note"] = f"cannot be turned into an array: {type(exc).__name__}: {exc}"
        return entry
    entry["shape"], entry["expected_shape"] = list(a.shape), list(b.shape)
    if a.dtype.kind not in "biufc" or b.dtype.kind not in "biufc":
        entry["note"] = f"not numbers: {a.dtype} against the snippet's {b.dtype}"
        return entry
    if a.shape != b.shape:
        entry["note"] = f"shape {tuple(a.shape)} where the snippet gives {tuple(b.shape)}"
        return entry
    a = a.astype(np.complex128 if "c" in (a.dtype.kind, b.dtype.kind) else np.float64)
    b = b.astype(a.dtype)
    if a.size == 0:
        entry["ok"] = True
        return entry
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    same_inf = np.isinf(a) & np.isinf(b) & (a == b)
    diff = np.where(nan_a & nan_b | same_inf, 0.0, np.abs(a - b))
    diff = np.where(nan_a ^ nan_b, np.inf, diff)
    excess = diff - (atol + rtol * np.where(np.isfinite(b), np.abs(b), 0.0))
    ok = not bool((excess > 0).any())
    worst = np.unravel_index(int(np.argmax(diff if ok else excess)), a.shape)
    finite = np.abs(b[np.isfinite(b)])
    scale = float(finite.max()) if finite.size else 0.0
    max_abs = float(diff.max())
    entry.update(
        ok=ok,
        max_abs=max_abs,
        max_rel=max_abs / scale if scale > 0 else max_abs,
        index=[int(i) for i in worst],
        got=_plain(a[worst]),
        expected=_plain(b[worst]),
    )
    if (nan_a ^ nan_b).any():
        entry["note"] = "NaN where the other has a number"
    return entry


def _plain(value) -> float | None:
    number = complex(value)
    return number.real if number.imag == 0 else abs(number)


def _mapped_bytes() -> int:
    """The address space this process has mapped now (VmSize)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _figures() -> list[dict]:
    """Every matplotlib figure the demo left open, as SVG with its label as alt text."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    import io

    import matplotlib

    matplotlib.rcParams.update({"svg.hashsalt": "termbook", "svg.fonttype": "none"})
    out = []
    for number in pyplot.get_fignums():
        fig = pyplot.figure(number)
        buffer = io.StringIO()
        try:
            fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        except Exception as exc:
            out.append({"alt": fig.get_label(), "svg": "", "error": f"{type(exc).__name__}: {exc}"})
            continue
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        alt = fig.get_label() or (fig._suptitle.get_text() if fig._suptitle else "") or "; ".join(titles)
        out.append({"alt": alt, "svg": buffer.getvalue()})
    pyplot.close("all")
    return out


def _describe(exc: BaseException, path: str) -> dict:
    """Exception → {type, message, line, traceback}, the traceback trimmed to snippet frames."""
    if isinstance(exc, SystemExit):
        return {
            "type": "SystemExit",
            "message": f"the snippet called sys.exit({exc.code!r})",
            "line": _last_line(exc, path),
            "traceback": _trimmed(exc),
        }
    message = str(exc)
    if isinstance(exc, MemoryError):
        message = "memory limit exceeded" + (f": {message}" if message else "")
    elif isinstance(exc, OSError) and exc.errno == 27:  # EFBIG from RLIMIT_FSIZE
        message = "output limit exceeded"
    elif isinstance(exc, AssertionError) and not message:
        message = "assertion failed"
    return {
        "type": type(exc).__name__,
        "message": message[:4000],
        "line": _last_line(exc, path),
        "traceback": _trimmed(exc),
    }


def _trimmed(exc: BaseException) -> str:
    """The traceback without the runner's own frames."""
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-8000:]


def _last_line(exc: BaseException, path: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == path:
            line = frame.lineno
    if line is None and isinstance(exc, SyntaxError) and exc.filename == path:
        line = exc.lineno
    return line


if __name__ == "__main__":
    main()
