"""What people see while a mirror runs: rich progress bars (repositories, releases, bytes with speed
and ETA) on a terminal, plain log lines otherwise (stderr); the summary goes to stdout."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1000
    return f"{n:.1f} GB"


class Plain:
    """One line per event, timestamped, on stderr (for logs, cron mail and journald)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        if not self.quiet:
            with self._lock:
                print(time.strftime("%H:%M:%S"), text, file=self.stream, flush=True)

    def note(self, text: str) -> None:
        self._line(text)

    def start(self, total_repositories: int) -> None:
        pass

    def repository(self, full_name: str, source: str) -> None:
        self._line(f"{full_name}: mirroring {source}")

    def releases(self, total: int) -> None:
        self._line(f"{total} releases at the source")

    def assets(self, count: int, size: int) -> None:
        self._line(f"{count} assets to download ({_size(size)})")

    def asset_started(self, name: str, size: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def asset_done(self, name: str, size: int) -> None:
        self._line(f"asset {name}: {_size(size)} stored")

    def release_done(self, tag: str) -> None:
        pass

    def repository_done(self) -> None:
        pass

    def close(self) -> None:
        pass


class Bars(Plain):
    """rich progress bars: repositories, releases, bytes (speed, ETA)."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
            transient=False,
        )
        self.bytes_progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        from rich.console import Group
        from rich.live import Live

        self.live = Live(Group(self.progress, self.bytes_progress), console=self.console, refresh_per_second=8)
        self.live.start()
        self.repos = self.progress.add_task("repositories", total=1)
        self.rels = self.progress.add_task("releases", total=0)
        self.data = self.bytes_progress.add_task("assets", total=0)

    def _line(self, text: str) -> None:
        self.console.log(text)

    def start(self, total_repositories: int) -> None:
        self.progress.update(self.repos, total=total_repositories)

    def repository(self, full_name: str, source: str) -> None:
        self.progress.update(self.repos, description=f"repositories ({full_name})")
        self.progress.reset(self.rels, total=0)
        self.bytes_progress.reset(self.data, total=0)

    def releases(self, total: int) -> None:
        self.progress.update(self.rels, total=total)

    def assets(self, count: int, size: int) -> None:
        self.bytes_progress.update(self.data, total=size, description=f"{count} assets")

    def advance(self, n: int) -> None:
        self.bytes_progress.advance(self.data, n)

    def asset_done(self, name: str, size: int) -> None:
        pass

    def release_done(self, tag: str) -> None:
        self.progress.advance(self.rels)

    def repository_done(self) -> None:
        self.progress.advance(self.repos)

    def close(self) -> None:
        self.live.stop()


def reporter(json_output: bool) -> Plain:
    if sys.stdout.isatty() and not json_output:
        return Bars()
    return Plain()
