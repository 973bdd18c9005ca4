"""Kind-neutral training driver: schedule, resume, checkpoints, progress, config parsing."""
