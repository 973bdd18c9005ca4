"""Rate-distortion reporting for any stream kind: Bjontegaard deltas, results folders, tables, plots."""
