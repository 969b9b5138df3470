"""Every pacing constant of the app in one place, each with the reason for its value.

Qt-free, so the workers, the store and the window read the same figures. What was measured to
choose them lives in benchmarks/results and the README, not here.
"""

# --- the window's GUI thread ---------------------------------------------------------------

SLICE_SECONDS = 0.003   # GUI work per turn of a `ui.pump.Pump`: GIL waits and a paint stay < 50 ms
ROW_CHUNK = 16          # rows per insert (one rowsInserted): a turn's last chunk overruns it little
UPDATES_PER_CHECK = 4   # table updates between looks at the clock: one costs several rows' worth
FETCH_BATCH = 256       # restored results read per call: decoded results waiting are GC work
FETCH_AHEAD = 512       # ... and read only while fewer updates than this wait in the table
FETCH_INTERVAL_MS = 20  # how often a restore looks whether the table is ready for more results
LABEL_INTERVAL_MS = 250  # status bar counts and progress at most this often: each change repaints
ENGINE_WAIT_MS = 30000  # a close before the engine loaded waits for its store to write typed ids
CLOSE_WAIT_MS = 5000    # a close waits this long for a file being read and for running batches
# a close waits this long for an export being written (a long workbook of a big store takes about
# a minute); past it the file under its name stays as it was, the export is not half-written
EXPORT_CLOSE_WAIT_S = 60


# --- the workers and the store -------------------------------------------------------------

# workers: batches, pools and leases of background prediction

# The batch of a dispatcher not told otherwise: each model call has a fixed cost (the feature
# tables), so larger batches amortise it, while a lease's loss on a crash stays bounded.
DEFAULT_BATCH = 1024
# The first batch of a run with no runner working yet: the first result comes after one small
# model call instead of a full batch; later batches are full for throughput.
FIRST_BATCH = 16
# A headless batch's cap: few large batches pay the fixed cost least, the cap bounds a lease's work.
MAX_BATCH = 8192
# `salesapp work`'s threads: the Python parts of the model call share one GIL, so one thread
# with every core for LightGBM beats two fighting over it.
HEADLESS_POOL = 1
# How often an idle headless worker looks again, and the main thread's join step: short, so
# that a signal's handler and a job failed back to the queue are both taken up at once.
IDLE_LOOK_SECONDS = 0.1
# A lease long enough for a full batch with renewals (a heartbeat renews it at a third).
DEFAULT_LEASE_SECONDS = 60.0
# A failing part of at most this many ids is tried one id at a time instead of halved further:
# fewer model calls when the model fails on every id, few more with one poison id.
ONE_BY_ONE = 8
# A lost lease (its worker killed, frozen, crashed) of at most this many jobs counts as an attempt
# of each; of a larger one it counts for none, and the jobs go on in leases half as large: a
# laptop dying during a long batch is not its jobs' failure, while a poison id that kills its
# process still ends failed after a few more crashes, alone in a small lease.
BLAMED_LEASE = 4
# Ids per store transaction of the writer thread: amortises the commit's fsync, and short enough
# that the runners' lease/complete never wait long on SQLite's write lock.
WRITE_SLICE = 500
# Ids per submit transaction of the window's writer: few commits, so a 30,000-id paste is on disk
# within a second of being asked; small enough that a runner's lease waits one transaction out.
SUBMIT_BATCH = 2000
# Ids per transaction of one large `JobStore.submit` (a 2 M-id `salesapp submit`): each
# transaction holds the database's write lock, so other writers (a running worker, the window)
# get turns between them instead of failing "locked".
STORE_SUBMIT_CHUNK = 5000
# ... and between two of them the submit pauses this share of the last one's time (at least the
# minimum): a writer taking its next transaction at once starves the others, whose SQLite busy
# handler only looks again after growing sleeps, so without a gap they still fail "locked".
STORE_SUBMIT_GAP_SHARE = 0.15
STORE_SUBMIT_GAP_MIN_SECONDS = 0.01

# A store call failing this many times in a row ends a run (`work`) or the window's workers: one
# failure may be a passing lock or a full disk freed soon, several in a row a store that is gone.
STORE_FAILURES_TO_STOP = 3
# The pause before a failed store call is tried again: long enough for a lock to pass, short
# enough that a store that is gone ends the run within a few seconds.
STORE_RETRY_SECONDS = 0.5

# workers while a window is open (the window passes them; see workers/window_pacing.py)

# The window's largest batch: some steps of a model call hold the GIL in one C call that grows
# with the batch, and the GUI thread must wait each one out.
GUI_BATCH = 256
# The window's runner threads: each is one more thread the GUI thread queues behind at the GIL.
GUI_POOL = 1
# Nice levels below the GUI thread for the window's runners and writer: the event loop gets a
# core first, and the workers still get every core while it is idle.
WORKER_NICE_STEPS = 10
# The interpreter's switch interval while a window is open: every call Qt makes into Python
# waits for the GIL first, so a waiting thread should get it within a millisecond.
GUI_SWITCH_INTERVAL = 0.001

# the store
SQL_CHUNK = 500           # keys per SQL statement: under SQLite's bound on parameters (999 in old builds)
ID_FILE_BLOCK = 1 << 20   # bytes of an id file read per step: its lines are strings only a block at a time
EXPORT_FETCH = 1000       # export rows fetched per step: a large export never holds every row at once
EXPORT_PARTS_KEPT = 2048  # forecast texts an export keeps for reuse: items alike (cold ones) share them, memory stays bounded
STORE_BUSY_TIMEOUT = 2.0  # seconds one try waits for another process's lock before retrying
STORE_BUSY_RETRIES = 2    # tries after the first before "locked by another process"
STORE_BUSY_POLL = 0.005   # seconds between tries of a locked set-up statement: short, it is a wait

BUNDLE_CHECK_IDS = 256       # items a new bundle's trial forecasts (every open shop): many paths through its trees, < 1 s
BUNDLE_CHECK_SECONDS = 60.0  # a trial longer than this is a hang (a bad child index can loop), not a slow disk: refused, not remembered

# training in a child process (`salesapp train --progress`, the window's Models -> Train)
TRAIN_PROGRESS_STEP = 0.005  # part of a training between two progress lines: a smooth bar, a few hundred lines to read
TRAIN_NICE = 10              # nice levels the window's training child runs below it: the window's event loop gets a core first
TRAIN_KILL_AFTER_MS = 3000   # a cancelled training's grace after SIGTERM before SIGKILL: a LightGBM round ends well within it
