"""`TestHooks`: the reliability tests' ways into a worker, read once at the command-line edge.

The commands (`salesapp work`, the window's start, the self-test) call `TestHooks.from_environ()`
and hand the object to the dispatcher or `run_batch`; nothing below them reads the environment.
Never set these in production:
- `SALESAPP_CRASH_AT=after_lease|mid_batch|after_complete`: `os._exit(137)` at that point.
- `SALESAPP_TEST_SLOW_MS=N`: sleep N ms per model call (lets kills land mid-work).
- `SALESAPP_POISON_ID=N`: the model call raises for item N (a poison job).
- `SALESAPP_TEST_MODEL_MARKER=PATH`: the file exists exactly while a runner is inside the model
  call, and meanwhile no thread of the process writes to the store; so a test that SIGSTOPs the
  worker while the file exists never freezes it holding the database's write lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CRASH_ENV, SLOW_ENV, POISON_ENV = "SALESAPP_CRASH_AT", "SALESAPP_TEST_SLOW_MS", "SALESAPP_POISON_ID"
MARKER_ENV = "SALESAPP_TEST_MODEL_MARKER"

PredictFn = Callable[[Sequence[int]], list]


@dataclass(frozen=True)
class TestHooks:
    """Which test hooks are on; the default object has none (what production runs)."""

    __test__ = False   # not a pytest test class, whatever its name

    crash_at: str = ""
    slow_ms: int = 0
    poison_id: int | None = None
    model_marker: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> TestHooks:
        """The hooks the environment's `SALESAPP_*` variables turn on."""
        poison = environ.get(POISON_ENV)
        return cls(crash_at=environ.get(CRASH_ENV, ""),
                   slow_ms=int(environ.get(SLOW_ENV, "0") or 0),
                   poison_id=int(poison) if poison else None,
                   model_marker=environ.get(MARKER_ENV, ""))

    def crash_point(self, name: str) -> None:
        """Die like a SIGKILL would (no clean-up, no flush) if `name` is the crash point asked."""
        if self.crash_at == name:
            os._exit(137)

    def predicting(self, predict: PredictFn) -> PredictFn:
        """`predict` slowed down and poisoned as asked (itself when neither hook is on)."""
        if not self.slow_ms and self.poison_id is None:
            return predict

        def hooked(item_ids: Sequence[int]) -> list:
            if self.slow_ms:
                time.sleep(self.slow_ms / 1000)
            if self.poison_id is not None and self.poison_id in item_ids:
                raise RuntimeError(f"test poison: item {self.poison_id} makes the model fail")
            return predict(item_ids)
        return hooked

    @contextmanager
    def model_call(self, store) -> Iterator[None]:
        """Mark the model call with the marker file, every store write of the process held."""
        if not self.model_marker:
            yield
            return
        path = Path(self.model_marker)
        with store.writes_held():
            path.touch()
            try:
                yield
            finally:
                # Removed before the writes resume: a stopped process with the file present is
                # certainly inside the model call.
                path.unlink(missing_ok=True)


NO_HOOKS = TestHooks()
