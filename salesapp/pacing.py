"""Every pacing constant of the app in one place, each with the reason for its value.

Qt-free, so the workers, the store and the window read the same figures. What was measured to
choose them lives in benchmarks/results and the README, not here.
"""

# --- the window's GUI thread ---------------------------------------------------------------

SLICE_SECONDS = 0.003   # GUI work per turn of a `ui.pump.Pump`: GIL waits and a paint stay < 50 ms
ROW_CHUNK = 16          # rows per insert (one rowsInserted): a turn's last chunk overruns it little
UPDATES_PER_CHECK = 4   # table updates between looks at the clock: one costs several rows' worth
SUBMIT_BATCH = 500      # ids per store write from the window: one transaction, written within 1 s
FETCH_BATCH = 256       # restored results read per call: decoded results waiting are GC work
FETCH_AHEAD = 512       # ... and read only while fewer updates than this wait in the table
FETCH_INTERVAL_MS = 20  # how often a restore looks whether the table is ready for more results
LABEL_INTERVAL_MS = 250  # status bar counts and progress at most this often: each change repaints
ENGINE_WAIT_MS = 30000  # a close before the engine loaded waits for its store to write typed ids
CLOSE_WAIT_MS = 5000    # a close waits this long for a file being read and for running batches


# --- the workers and the store -------------------------------------------------------------

# the store
SQL_CHUNK = 500           # keys per SQL statement: under SQLite's bound on parameters (999 in old builds)
EXPORT_FETCH = 1000       # export rows fetched per step: a large export never holds every row at once
STORE_BUSY_TIMEOUT = 2.0  # seconds one try waits for another process's lock before retrying
STORE_BUSY_RETRIES = 2    # tries after the first before "locked by another process"
STORE_BUSY_POLL = 0.005   # seconds between tries of a locked set-up statement: short, it is a wait
