"""Document readers that fail the way a reader process can, run in the reader's child
process (module-level, so the child imports them by name)."""

from __future__ import annotations

import os
import signal

from sheetbrain.policies.extract import DocumentKind


def killed_by_the_system(data: bytes, kind: DocumentKind, filename: str | None) -> str:
    """What the kernel's out-of-memory killer does to a reader: SIGKILL, no answer."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def allocating(data: bytes, kind: DocumentKind, filename: str | None) -> str:
    """A reader that needs 256 MiB at once."""
    return str(len(bytearray(256 * 1024 * 1024)))
