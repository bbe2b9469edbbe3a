"""A busy store is one line and its own exit code.

A command that waited the busy timeout (``VANGNET_BUSY_TIMEOUT``, default 10 s) for
another writer (an import, a daily run) stops with "the store is busy: another
import or daily run holds it; try again" and exit code 75 (EX_TEMPFAIL: try again
later), without a traceback; nothing of it was written.
"""

from __future__ import annotations

from adapters.cli.common import fail

EXIT_BUSY = 75


def exit_if_busy(error: BaseException) -> None:
    from application.store import StoreBusy, is_busy

    if is_busy(error):
        fail(StoreBusy.MESSAGE, EXIT_BUSY)
