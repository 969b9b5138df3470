"""`python -m salesapp` and the frozen executable: the `salesapp` entry point, with a crash log.

The uncaught-exception handler goes in first, so that even a failure while importing the app's
parts is written to the user log instead of vanishing (the frozen app may have no console).
"""

import logging
import os
import sys


def _run() -> int:
    from salesapp.logging_setup import install_excepthook, show_to_user

    install_excepthook(show_to_user)
    from salesapp.cli import main
    return main()


def _exit_now(code: int) -> None:
    """Flush and leave without the interpreter's teardown.

    Tearing down Qt, pandas and LightGBM objects one by one is slow and saves nothing: every
    store write is durable before its call returns (killing the process at any instant loses
    nothing), and output files are closed by the commands themselves.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed or broken pipe: nothing left to save
            pass
    os._exit(code)


if __name__ == "__main__":
    _exit_now(_run())
