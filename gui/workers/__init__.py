"""Work off the UI thread: the engine thread, the training workers, and the helpers that
start, stop and wait for worker threads."""
