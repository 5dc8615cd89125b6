"""The window's tabs: curves and the epoch scrubber, Layers and Diagram, Activations,
Evaluation, Models and Compare."""
