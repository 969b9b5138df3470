"""Shared by the engine tests: a Predictor stand-in and the real CLI in a child process."""

import os
import subprocess
import sys
import time


class FakePredictor:
    """The Predictor's interface with plain results (the store and the workers are under test)."""

    version = "fake00000000"

    def predict(self, item_ids):
        return [{"item_id": i, "status": "ok", "shops": [[0, float(i)]], "item_name": f"n{i}",
                 "model_version": self.version} for i in item_ids]


def cli_env(**extra) -> dict:
    """This process's environment without SALESAPP_ hooks (but its home), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESAPP_")}
    env["SALESAPP_HOME"] = os.environ["SALESAPP_HOME"]
    env["SALESAPP_BUNDLE_VERDICTS"] = os.environ["SALESAPP_BUNDLE_VERDICTS"]
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(*args, timeout=120, **env) -> subprocess.CompletedProcess:
    """`python -m salesapp ARGS` in a child process (env hooks as keyword arguments)."""
    return subprocess.run([sys.executable, "-m", "salesapp", *map(str, args)],
                          env=cli_env(**env), capture_output=True, text=True, timeout=timeout,
                          check=False)


def use_up_attempts_but_one(store, item_id):
    """Lease and lose `item_id` until one attempt is left (each lost lease is an attempt)."""
    for _ in range(store.max_attempts - 1):
        store.lease("dead-worker", 1, 60)
        store.requeue_expired(now=time.time() + 100)
    (job,) = [j for j in store.jobs() if j.item_id == item_id]
    assert job.attempts == store.max_attempts - 1
