"""Training: the settings and their checks, the loop and its callbacks, schedules, resuming
and fine-tuning, sweeps, and what a run says when it fails or learns nothing."""
