"""The exception types users see.

Every failure the CLI can report (bad input, corrupt stream, missing weights) is raised as
`StrataError` with a one-line, human-readable message; the CLI prints it and exits non-zero.
Anything else escaping is a bug. Library code states facts in terms of its own arguments
(`OptionError` names the option as the API calls it); the CLI words them with its flags.
"""


class StrataError(Exception):
    """A user-facing error: one line, no traceback."""


class OptionError(StrataError):
    """An option's value is out of range, or the option does not apply to this model or stream.

    option: the option's name in the API (e.g. "layers", "effort"); requirement: what it must be
    ("must be between 0 and 16"). The CLI prints "--layers must be between 0 and 16"."""

    def __init__(self, option: str, requirement: str):
        self.option, self.requirement = option, requirement
        super().__init__(f"{option} {requirement}")
