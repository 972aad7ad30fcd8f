"""What the sandbox counted: requests by operation, and refusals it made.

``calls`` counts every AWS request received, whatever its answer;
``throttled`` counts the refusals of the rate quota; ``faults`` counts the
injected faults by kind, and the refusals of the propagation window.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

COUNTED_FAULTS = ("throttle", "error", "conflict", "slow", "drop", "propagation")


class Stats:
    """Thread-safe counters behind GET /_eic/calls and GET /_eic/stats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled = 0
        self._faults: Counter[str] = Counter()

    def call(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def throttled(self) -> None:
        with self._lock:
            self._throttled += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            faults = {kind: self._faults[kind] for kind in COUNTED_FAULTS}
            return {
                "calls": dict(sorted(self._calls.items())),
                "throttled": self._throttled,
                "faults": faults,
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._throttled = 0
            self._faults.clear()
