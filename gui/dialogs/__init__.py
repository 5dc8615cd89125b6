"""The window's dialogs: continue or fine-tune a run, sweeps, the CIFAR-10 download."""
