"""Everything eic shows a person goes through one ``Ui``.

Results go to stdout, messages and progress to stderr. Colour and progress
appear only on a terminal, never with NO_COLOR set, never in CI logs.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

from reconciler.errors import Location


class Ui:
    def __init__(
        self, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = _is_terminal(self.out) and "NO_COLOR" not in os.environ
        self.show_progress = _is_terminal(self.err) and not os.environ.get("CI")
        self._lock = threading.Lock()
        self._progress_shown = False

    def print(self, text: str = "") -> None:
        self._clear_progress()
        self.out.write(text if text.endswith("\n") else text + "\n")
        self.out.flush()

    def error(self, text: str) -> None:
        self._clear_progress()
        self.err.write(text.rstrip("\n") + "\n")
        self.err.flush()

    def warn(self, text: str) -> None:
        self.error(f"warning: {text}")

    def progress(self, label: str) -> "Progress | None":
        return Progress(self, label) if self.show_progress else None

    def _write_progress(self, line: str) -> None:
        with self._lock:
            self.err.write("\r\033[K" + line)
            self.err.flush()
            self._progress_shown = True

    def _clear_progress(self) -> None:
        with self._lock:
            if self._progress_shown:
                self.err.write("\r\033[K")
                self.err.flush()
                self._progress_shown = False


class Progress:
    """done/total, rate and time left on one self-rewriting stderr line."""

    def __init__(self, ui: Ui, label: str) -> None:
        self.ui = ui
        self.label = label
        self.started = time.monotonic()
        self.last_drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last_drawn < 0.2:
            return
        self.last_drawn = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        self.ui._write_progress(
            f"{self.label}: {done}/{total}  {rate:.1f}/s  {left:.0f}s left"
        )
        if done >= total:
            self.ui._clear_progress()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def annotate(location: Location, message: str, ui: Ui) -> None:
    """A GitHub Actions annotation, so the error shows on the PR's diff."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    parts = [f"file={location.path}"]
    if location.line:
        parts += [f"line={location.line}", f"col={location.col or 1}"]
    text = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    ui.print(f"::error {','.join(parts)}::{text}")
