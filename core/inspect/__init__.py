"""Looking into trained models: explanations (saliency, feature maps), evaluation on a test
set, and the comparison of runs."""
