"""Training of the image models (the scripts in tools/ are thin wrappers over these loops)."""
