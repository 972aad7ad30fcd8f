"""Lambda's request-rate quota: one budget per account and region.

Every Lambda operation draws on it (doc, quotas page). Each budget is a
token bucket that refills at the rate and holds at most one second's worth
(at least one request), so a client that paces itself at the rate is never
refused while a burst above it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Key = tuple[str, str]  # account, region


class _Bucket:
    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.stamp = now

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        elapsed = max(now - self.stamp, 0.0)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Quota:
    """Token buckets by (account, region); a rate of 0 admits everything."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Key, _Bucket] = {}

    def wait(self, key: Key) -> float:
        """0 when the request is admitted, else how long to wait (Retry-After)."""
        if not self.rate:
            return 0.0
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key, _Bucket(self.rate, now))
            return bucket.take(now)
