"""A bundle's first use is a trial run in a child process, so a model.txt that crashes LightGBM
refuses the bundle instead of taking the app down.

The manifest proves only that the files are the ones it lists, not that they are sane: a model.txt
with an out-of-range `split_feature` or `left_child` and a re-written manifest passes `verify`,
then LightGBM reads past its arrays (SIGSEGV) or aborts in C++ (SIGABRT), which no Python
`except` can catch. So before a bundle is used for the first time a child process (this program
again, through the hidden sub-command `CHECK_COMMAND`, which works from a checkout and from the
frozen executable alike) loads it and forecasts a spread of its items. A crash or an error there
refuses the bundle with one sentence.

The verdict is kept per manifest (every file's SHA-256) and LightGBM version under the per-user
cache, so later starts pay nothing. A refusal from a crash or an error is kept too (the same
files crash the same way); a killed child is not (that may be the machine), and a timeout only
counts: one may be a machine too busy, but the same files timing out `TIMEOUTS_TO_REFUSE` times
are a model that loops, refused from then on at once instead of at every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from salesapp.errors import BundleError
from salesapp.pacing import BUNDLE_CHECK_IDS, BUNDLE_CHECK_SECONDS
from salesapp.paths import user_data_dir

CHECK_COMMAND = "_check-bundle"   # hidden: not in the help, used only by `ensure_safe`
TIMEOUTS_TO_REFUSE = 2   # trials of the same files that timed out before the refusal is kept
FORMAT = 1
OK = "bundle ok"   # the child's last line of stdout on success
# Signals that a malformed model gives the same way at every run (so worth remembering).
_CRASH_SIGNALS = {getattr(signal, n) for n in ("SIGSEGV", "SIGABRT", "SIGBUS", "SIGILL", "SIGFPE")
                  if hasattr(signal, n)}


# Test hook: one folder of verdicts for a whole test session (each test has its own user folder,
# and a verdict depends only on the files and LightGBM, so sharing it is sound).
CACHE_ENV = "SALESAPP_BUNDLE_VERDICTS"


def cache_root() -> Path:
    """Folder of the remembered verdicts (under the per-user data directory)."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else user_data_dir() / "cache" / "bundle_check"


def verdict_key(directory: Path) -> str:
    """Key of a bundle's verdict: its manifest's bytes and the LightGBM that runs it."""
    from salesapp.model.lightgbm_import import import_lightgbm

    h = hashlib.sha256()
    for part in ((Path(directory) / "manifest.json").read_bytes(),
                 _lightgbm_identity(import_lightgbm()).encode(), str(FORMAT).encode()):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:32]


def _lightgbm_identity(lgb) -> str:
    """LightGBM's version; in the frozen app (no VERSION.txt, so no `__version__`) its library's
    size and time instead, which change with it."""
    version = getattr(lgb, "__version__", None)
    if version:
        return str(version)
    try:
        st = os.stat(lgb.basic._LIB._name)
        return f"lib {st.st_size} {st.st_mtime_ns}"
    except (AttributeError, OSError, TypeError):
        return "unknown"


def ensure_safe(directory: str | Path) -> None:
    """Return if the bundle's model loads and forecasts in a child process; else BundleError.

    Called after `bundle.verify`, so the files are the ones the manifest names.
    """
    d = Path(directory)
    key = verdict_key(d)
    remembered = _read_verdict(key)
    if remembered is None or remembered["verdict"] == "timeout":
        timeouts = 0 if remembered is None else int(remembered.get("timeouts", 0))
        remembered, keep = _trial(d)
        if remembered["verdict"] == "timeout":
            remembered = _after_timeout(remembered, timeouts + 1)
            keep = True
        if keep:
            _write_verdict(key, remembered)
    if remembered.get("verdict") != "ok":   # the path is added here: the same files may move
        raise BundleError(f"model bundle {d} was refused: "
                          f"{remembered.get('cause') or 'its trial forecast failed'}")


def child_command(directory: Path) -> list[str]:
    """The command line that runs the trial: this same program with the hidden sub-command."""
    if getattr(sys, "frozen", False):   # PyInstaller: sys.executable is the app itself
        return [sys.executable, CHECK_COMMAND, str(directory)]
    return [sys.executable, "-m", "salesapp", CHECK_COMMAND, str(directory)]


def _trial(d: Path) -> tuple[dict, bool]:
    """(verdict, whether to remember it) from one child run."""
    kwargs = {}
    if sys.platform == "win32":   # no console window flashing up from the windowed app
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        run = subprocess.run(child_command(d), stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, errors="replace", timeout=BUNDLE_CHECK_SECONDS, check=False,
                             **kwargs)
    except subprocess.TimeoutExpired:
        return {"verdict": "timeout"}, False
    except OSError as exc:
        return _refused(f"it could not be tried in a child process ({exc.strerror or exc})"
                        ), False
    if run.returncode == 0 and run.stdout.strip().endswith(OK):
        return {"verdict": "ok"}, True
    if run.returncode < 0:   # POSIX: killed by a signal
        sig = -run.returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return _refused(f"LightGBM crashed ({name}) loading or running its model.txt in a trial "
                        "forecast, so the file is malformed; retrain or reinstall the bundle"
                        ), sig in _CRASH_SIGNALS
    lines = [ln.strip() for ln in run.stderr.splitlines() if ln.strip()]
    said = next((ln for ln in reversed(lines) if ln.startswith("salesapp: ")), None)
    if run.returncode == 2 and said:   # the child's own sentence
        return _refused(said.removeprefix("salesapp: ")), True
    # Windows reports an access violation as a large exit status, not a signal.
    return _refused(f"its trial forecast ended with exit status {run.returncode}, so model.txt "
                    "is malformed; retrain or reinstall the bundle"), True


def _after_timeout(verdict: dict, timeouts: int) -> dict:
    """The verdict after the `timeouts`-th trial of the same files that did not finish."""
    if timeouts >= TIMEOUTS_TO_REFUSE:
        return _refused(f"its trial forecast did not finish within {BUNDLE_CHECK_SECONDS:.0f} s "
                        f"at {timeouts} tries, so its model.txt does not end; retrain or "
                        "reinstall the bundle")
    return dict(verdict, timeouts=timeouts,
                cause=f"its trial forecast did not finish within {BUNDLE_CHECK_SECONDS:.0f} s "
                      "(a machine too busy, or a model that does not end); it is tried again at "
                      "the next start")


def _refused(cause: str) -> dict:
    return {"verdict": "refused", "cause": cause}


def _read_verdict(key: str) -> dict | None:
    try:
        v = json.loads((cache_root() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(v, dict) or v.get("verdict") not in ("ok", "refused", "timeout"):
        return None   # not ours, or damaged: tried again
    return v


def _write_verdict(key: str, verdict: dict) -> None:
    root = cache_root()
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(verdict), encoding="utf-8")
        os.replace(tmp, root / f"{key}.json")
    except OSError:   # no cache this time: the next start tries again
        tmp.unlink(missing_ok=True)


def child_main(argv: list[str]) -> int:
    """Body of the hidden sub-command: load the bundle, forecast a spread of its items.

    Exit 0 and print `OK` on success; exit 2 with one `salesapp: ` sentence for an error; a crash
    is seen by the parent as the signal or exit status it ends with.
    """
    try:   # a crash here is expected now and then: no core file for it
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if len(argv) != 1:
        print(f"salesapp: {CHECK_COMMAND} takes one bundle directory", file=sys.stderr)
        return 2
    try:
        from salesapp.model import bundle
        from salesapp.model.predictor import Predictor

        d = Path(argv[0])
        predictor = Predictor(d, bundle.verify(d))   # the constructor: no trial inside the trial
        ids = predictor.item_ids
        step = max(1, len(ids) // BUNDLE_CHECK_IDS)
        predictor.predict([int(i) for i in ids[::step]])
    except Exception as exc:  # noqa: BLE001 - any error refuses, in one sentence
        from salesapp.errors import SalesAppError

        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if not isinstance(exc, SalesAppError):
            text = f"it could not be loaded ({text})"
        print(f"salesapp: {text}", file=sys.stderr)
        return 2
    print(OK, flush=True)
    return 0
