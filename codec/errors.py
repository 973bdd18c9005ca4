"""The one exception type users see.

Every failure the CLI can report (bad input, corrupt stream, missing weights) is raised as
`StrataError` with a one-line, human-readable message; the CLI prints it and exits non-zero.
Anything else escaping is a bug.
"""


class StrataError(Exception):
    """A user-facing error: one line, no traceback."""
