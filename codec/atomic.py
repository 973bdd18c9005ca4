"""Atomic output: a file is written whole or not at all, and the input is never touched."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import StrataError


def atomic_write(path: str | Path, write) -> None:
    """Write via a temporary file in the destination folder, then rename: never a partial output."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StrataError(f"output folder does not exist: {folder}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".strata-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise StrataError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):  # full disk, file-size limit, I/O error: the user's to fix
            raise StrataError(f"cannot write {path}: {e.strerror or e}") from None
        raise
