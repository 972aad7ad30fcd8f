"""Behaviour of the sandbox that tests tune at run time (POST /_eic/settings).

This is the one place for knobs that change how AWS requests are answered
rather than what state they see: added latency now; throttling and fault
injection belong here too when they come.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


class SettingsError(ValueError):
    """A settings change the sandbox refuses; the message says why."""


@dataclass(frozen=True)
class Settings:
    # Added to every AWS answer, to make slow endpoints observable in tests.
    latency_ms: int = 0

    def updated(self, changes: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise SettingsError(f"unknown setting {key!r}; known: {sorted(known)}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SettingsError(f"{key} must be a non-negative integer")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
