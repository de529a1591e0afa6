"""PDF and .docx text is read in a child process, with a deadline and a memory ceiling.

pypdf and python-docx run arbitrary-sized work on small inputs (a 13 KB PDF whose
content stream takes pypdf half a minute), and neither can be interrupted from another
thread. So each document is read by a process of its own, forked from a `forkserver`
that already imported the readers (no fork of the threaded service process, and a
fork costs milliseconds): the child's address space is capped (`MEMORY_LIMIT_BYTES`),
and the child is killed when it has not answered within the deadline. The service's
event loop only waits on a pipe, from a worker thread, so it keeps answering.

A refusal raised inside the child (too many pages, too much text, corrupt, ...) comes
back as the same exception; a child that dies without answering is `ExtractionFailed`,
one that runs out of time `ExtractionTimedOut`: both 422 problems, never a 500.
At most `max_concurrent` children run at once per service process.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection

import anyio.to_thread

from sheetbrain.errors import AppError
from sheetbrain.policies.errors import ExtractionFailed, ExtractionTimedOut
from sheetbrain.policies.extract import DocumentKind, extract_text

# Address space of one child: the readers need ~150 MB; a bomb gets MemoryError.
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
DEFAULT_MAX_CONCURRENT = 2
_OUT_OF_MEMORY = (
    "Reading the document stopped before it finished (it needed more memory than allowed); "
    "upload a simpler or smaller document."
)

# What a child runs: a module-level function (the child imports it by name).
Extract = Callable[[bytes, DocumentKind, str | None], str]

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])  # the readers and this module, imported once


class DocumentReader:
    """Reads PDF and .docx text in child processes; one per service process."""

    def __init__(
        self,
        timeout_seconds: float,
        *,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        memory_limit_bytes: int = MEMORY_LIMIT_BYTES,
        extract: Extract = extract_text,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.memory_limit_bytes = memory_limit_bytes
        self.extract = extract
        self._slots = asyncio.Semaphore(max_concurrent)

    async def text_of(self, data: bytes, kind: DocumentKind, filename: str | None) -> str:
        """The document's text (not yet normalised); its refusals as AppError."""
        async with self._slots:
            read = partial(
                read_in_child,
                timeout=self.timeout_seconds,
                memory_limit_bytes=self.memory_limit_bytes,
                extract=self.extract,
            )
            return await anyio.to_thread.run_sync(read, data, kind, filename)


def read_in_child(
    data: bytes,
    kind: DocumentKind,
    filename: str | None,
    *,
    timeout: float,
    memory_limit_bytes: int = MEMORY_LIMIT_BYTES,
    extract: Extract = extract_text,
) -> str:
    """Blocking: runs `extract` in a child process and waits at most `timeout` s."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(
        target=_child_main,
        args=(sender, extract, data, kind, filename, memory_limit_bytes),
        daemon=True,
    )
    child.start()
    sender.close()  # the child holds the only writing end: its death is EOF here
    try:
        if not receiver.poll(timeout):
            raise ExtractionTimedOut(
                f"Reading the document took longer than {timeout:g} s; "
                "upload a simpler or smaller document."
            )
        outcome: str | AppError = receiver.recv()
    except EOFError as exc:
        raise ExtractionFailed(_OUT_OF_MEMORY) from exc
    finally:
        receiver.close()
        child.kill()
        child.join()
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def _child_main(
    sender: Connection,
    extract: Extract,
    data: bytes,
    kind: DocumentKind,
    filename: str | None,
    memory_limit_bytes: int,
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    outcome: str | AppError
    try:
        outcome = extract(data, kind, filename)
    except AppError as refusal:
        outcome = refusal
    except MemoryError:
        outcome = ExtractionFailed(_OUT_OF_MEMORY)
    sender.send(outcome)
