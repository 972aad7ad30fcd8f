"""The sandbox's own store of async configs, one per (function, qualifier).

Stock moto keeps a list per function and ignores the qualifier; this store
replaces it. Configs are indexed by function so that List stays cheap with
thousands of functions.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .names import Target

FunctionKey = tuple[str, str, str]  # account, region, function name
T = TypeVar("T")


@dataclass(frozen=True)
class Destinations:
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(frozen=True)
class AsyncConfig:
    """A stored config. None means "never set": reads omit it."""

    retries: int | None
    max_age: int | None
    destinations: Destinations
    last_modified: float = 0.0

    def merged(self, update: ConfigChange) -> AsyncConfig:
        """Update replaces the top-level settings it carries, nothing else."""
        return replace(
            self,
            retries=_carried(update.retries, self.retries),
            max_age=_carried(update.max_age, self.max_age),
            destinations=_carried(update.destinations, self.destinations),
        )

    def wire(self, target: Target) -> dict[str, Any]:
        body: dict[str, Any] = {
            "LastModified": self.last_modified,
            "FunctionArn": target.arn,
        }
        if self.retries is not None:
            body["MaximumRetryAttempts"] = self.retries
        if self.max_age is not None:
            body["MaximumEventAgeInSeconds"] = self.max_age
        body["DestinationConfig"] = {
            "OnSuccess": _half(self.destinations.on_success),
            "OnFailure": _half(self.destinations.on_failure),
        }
        return body


@dataclass(frozen=True)
class ConfigChange:
    """The settings a Put or Update carries; None means "not in the request"."""

    retries: int | None
    max_age: int | None
    destinations: Destinations | None

    @property
    def empty(self) -> bool:
        # A DestinationConfig counts when present, even as {} (inferred).
        settings = (self.retries, self.max_age, self.destinations)
        return all(setting is None for setting in settings)

    def as_config(self) -> AsyncConfig:
        """What a Put stores: everything it leaves out is removed."""
        return AsyncConfig(
            retries=self.retries,
            max_age=self.max_age,
            destinations=self.destinations or Destinations(),
        )


def _carried(new: T | None, old: T) -> T:
    return old if new is None else new


def _half(destination: str | None) -> dict[str, str]:
    return {"Destination": destination} if destination else {}


def function_key(target: Target) -> FunctionKey:
    return (target.account, target.region, target.function)


class ConfigStore:
    """Thread-safe map of Target -> AsyncConfig."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_function: dict[FunctionKey, dict[str, AsyncConfig]] = {}

    def get(self, target: Target) -> AsyncConfig | None:
        with self._lock:
            configs = self._by_function.get(function_key(target), {})
            return configs.get(target.qualifier)

    def put(self, target: Target, config: AsyncConfig) -> AsyncConfig:
        """Store with a fresh LastModified, even when nothing else changed."""
        with self._lock:
            configs = self._by_function.setdefault(function_key(target), {})
            stamp = _stamp(configs.get(target.qualifier))
            stored = replace(config, last_modified=stamp)
            configs[target.qualifier] = stored
            return stored

    def delete(self, target: Target) -> bool:
        with self._lock:
            configs = self._by_function.get(function_key(target), {})
            return configs.pop(target.qualifier, None) is not None

    def delete_function(self, key: FunctionKey) -> None:
        with self._lock:
            self._by_function.pop(key, None)

    def of_function(self, key: FunctionKey) -> list[tuple[Target, AsyncConfig]]:
        """Every qualifier's config, sorted by qualified FunctionArn."""
        with self._lock:
            configs = dict(self._by_function.get(key, {}))
        pairs = [(Target(*key, qualifier), c) for qualifier, c in configs.items()]
        return sorted(pairs, key=lambda pair: pair[0].arn)

    def count(self) -> int:
        with self._lock:
            return sum(len(configs) for configs in self._by_function.values())

    def clear(self) -> None:
        with self._lock:
            self._by_function.clear()


def _stamp(previous: AsyncConfig | None) -> float:
    # Millisecond epoch seconds, as Lambda reports them; a repeated Put within
    # one millisecond still moves LastModified forward.
    now = round(time.time(), 3)
    if previous is None:
        return now
    return max(now, round(previous.last_modified + 0.001, 3))
