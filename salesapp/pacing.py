"""Every pacing constant of the app in one place, each with the reason for its value.

Qt-free, so the workers, the store and the window read the same figures. What was measured to
choose them lives in benchmarks/results and the README, not here.
"""

# --- the window's GUI thread ---------------------------------------------------------------


# --- the workers and the store -------------------------------------------------------------
