"""Training library for the image models (the scripts in tools/ are thin wrappers)."""
