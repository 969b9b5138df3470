"""Background prediction: the dispatcher that owns the thread pool and its runnables (QtCore only)."""
