"""One progress display for a whole audit run, on stderr (stdout carries the report)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

# Where nobody watches a live bar (CI logs, a redirected stderr), a long run still says
# it is alive: one plain line at most this often, and nothing at all for a short run.
QUIET_INTERVAL_SECONDS = 30.0


class RunProgress:
    """Files done of the total, formulas done and the time left.

    Given a terminal console, a live bar that disappears when the run ends; without one,
    a plain line on stderr every QUIET_INTERVAL_SECONDS.
    """

    def __init__(self, total_files: int, console: Console | None = None) -> None:
        self._total = total_files
        self._done = 0
        self._formulas = 0
        self._started = self._last_line = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if console is not None and console.is_terminal:
            self._bar = _live_bar(console)
            self._task = self._bar.add_task("audit", total=total_files, formulas=0)

    @classmethod
    def on_stderr(cls, total_files: int) -> RunProgress:
        """A live bar when stderr is a terminal. Otherwise rich is never imported: it is
        about a fifth of the `sheetbrain audit` command's start-up."""
        if not sys.stderr.isatty():
            return cls(total_files)
        from rich.console import Console

        return cls(total_files, Console(stderr=True))

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def file_done(self, formulas: int) -> None:
        self._done += 1
        self._formulas += formulas
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, formulas=self._formulas)
            return
        now = time.monotonic()
        if now - self._last_line >= QUIET_INTERVAL_SECONDS:
            self._last_line = now
            left = (now - self._started) / self._done * (self._total - self._done)
            print(
                f"audited {self._done}/{self._total} files, {self._formulas:,} formulas, "
                f"about {left:.0f} s left",
                file=sys.stderr,
                flush=True,
            )


def _live_bar(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files, {task.fields[formulas]:,} formulas"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
