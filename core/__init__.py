"""The engine of the studio: datasets, the model zoo, training, summaries, preprocessing
of drawings, inference. Never imports Qt, and imports TensorFlow only in the modules that
need it (``models``, ``training``, ``inference``, ``summary``, ``modelio``), so that the
window can open before TensorFlow has loaded."""
