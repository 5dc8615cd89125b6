"""The command line, a front end beside the window: ``main.py summary|train|sweep|predict|evaluate``."""
