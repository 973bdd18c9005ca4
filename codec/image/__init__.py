"""The image codec: models, image I/O, image coding, training loops and evaluation."""
