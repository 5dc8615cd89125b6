"""The window's side panels: training (settings, Start/Pause/Stop) and the canvas."""
