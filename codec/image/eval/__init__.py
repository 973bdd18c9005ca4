"""Image evaluation: metrics, offline baseline codecs, the runner over a folder of images."""
