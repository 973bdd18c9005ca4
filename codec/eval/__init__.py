"""Rate-distortion evaluation: metrics, offline baseline codecs, runners, results in CompressAI's schema."""
