"""Standard output that can fail: a full disk or a device error is one error line and exit 2, never a traceback."""

from __future__ import annotations

import errno
import os
import sys

from flink_gitops.errors import Problem, UserError

#: What a failed write to stdout raises: the disk or quota is full, the file too large, the device failed.
WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def write(text: str) -> None:
    """Write ``text`` to stdout and flush it: a failure shows here, while the command can still say so (a
    :data:`WRITE_ERRORS` error reaches ``cli.main`` as an OSError, which turns it into :func:`output_error`)."""
    try:
        sys.stdout.write(text)  # encodes all of it before writing any of it
    except UnicodeEncodeError:
        raise UserError(Problem("the output holds text that is not Unicode (a lone surrogate); nothing was "
                                "written")) from None
    sys.stdout.flush()


def output_error(exc: OSError) -> UserError:
    """The error for a failed write to stdout; stdout is pointed at /dev/null first, so the
    interpreter's own flush at exit cannot fail again with a traceback."""
    _discard()
    return UserError(Problem(f"cannot write the output: {exc.strerror or exc}"))


def _discard() -> None:
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):  # no real file under stdout (tests, embedding)
        pass
