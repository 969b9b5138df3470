"""Every pacing constant of the app in one place, each with the reason for its value.

Qt-free, so the workers, the store and the window read the same figures. What was measured to
choose them lives in benchmarks/results and the README, not here.
"""

# --- the window's GUI thread ---------------------------------------------------------------


# --- the workers and the store -------------------------------------------------------------

# the store
SQL_CHUNK = 500           # keys per SQL statement: under SQLite's bound on parameters (999 in old builds)
EXPORT_FETCH = 1000       # export rows fetched per step: a large export never holds every row at once
STORE_BUSY_TIMEOUT = 2.0  # seconds one try waits for another process's lock before retrying
STORE_BUSY_RETRIES = 2    # tries after the first before "locked by another process"
STORE_BUSY_POLL = 0.005   # seconds between tries of a locked set-up statement: short, it is a wait
