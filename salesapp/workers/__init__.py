"""Background prediction: the Qt-free batch functions and `salesapp work`'s loop (batch_runner,
headless, progress, idle_watch, test_hooks), and the window's dispatcher with its runnables
(QtCore only)."""
