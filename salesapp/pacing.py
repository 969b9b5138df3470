"""Every pacing constant of the app in one place, each with the reason for its value.

Qt-free, so the workers, the store and the window read the same figures. What was measured to
choose them lives in benchmarks/results and the README, not here.
"""

# --- the window's GUI thread ---------------------------------------------------------------

# GUI-thread work done per event-loop turn by every sliced loop (`ui.pump.Pump`): the workers'
# turns at the GIL stretch it severalfold in wall time and a paint may follow, inside 50 ms.
SLICE_SECONDS = 0.003
# Rows added per insert (one rowsInserted each): a turn stops after the chunk that used its time.
ROW_CHUNK = 16
# Table updates applied between two looks at the clock: an update costs several rows' worth.
UPDATES_PER_CHECK = 4
# Ids the window hands its store writer at once: one transaction each, yet written within a second.
SUBMIT_BATCH = 500
# Stored results of restored rows asked of the writer per call, and only while fewer updates than
# FETCH_AHEAD wait in the table: decoded results waiting to be shown are garbage-collector work.
FETCH_BATCH = 256
FETCH_AHEAD = 512
# How often a restore looks whether the table is ready for the next results.
FETCH_INTERVAL_MS = 20
# The status bar's counts and progress change at most this often: each change repaints it.
LABEL_INTERVAL_MS = 250
# A close before the engine loaded waits this long for the store, to write the ids typed.
ENGINE_WAIT_MS = 30000
# A close waits this long for a file still being read and for the running batches.
CLOSE_WAIT_MS = 5000


# --- the workers and the store -------------------------------------------------------------
