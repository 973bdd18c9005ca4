"""The DDPM point-cloud model and its parts, each with forward (training) and coding halves."""
