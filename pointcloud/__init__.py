"""Point-cloud codec (PLY/PCD/XYZ/NPY I/O, PointNet + VQ + DDPM model). Streams use the shared container (kind 2)."""
