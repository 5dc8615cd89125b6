"""Model files: saving and loading with their training record, the training state that
lets a run go on, the model library, and export."""
