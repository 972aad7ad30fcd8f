"""Behaviour of the sandbox that tests tune at run time (POST /_eic/settings).

This is the one place for knobs that change how AWS requests are answered
rather than what state they see: added latency, Lambda's request-rate
quota, injected faults (by rate and seed, or one-shot with ``fail_next``,
whose entries are objects or the --fail-next spelling OPERATION:CODE[:COUNT])
and the IAM propagation window. ``eic sandbox`` flags set the same knobs at
start-up; those values are what DELETE /_eic/settings goes back to.

Nothing here imports moto: flags are checked before moto may be imported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

FAULT_KINDS = ("throttle", "error", "conflict", "slow", "drop")
# fail_next codes and the fault each one is.
FAIL_CODES = {
    "TooManyRequestsException": "throttle",
    "ServiceException": "error",
    "ResourceConflictException": "conflict",
    "drop": "drop",
}
# AWS operation names are PascalCase; this catches put_function_... typos.
_OPERATION = re.compile(r"[A-Z][A-Za-z0-9]*")
_FAIL_KEYS = {"operation", "code", "count"}


class SettingsError(ValueError):
    """A settings change the sandbox refuses; the message says why."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class FailNext:
    """Fail the next ``count`` requests of ``operation`` with ``code``."""

    operation: str
    code: str
    count: int = 1

    @property
    def kind(self) -> str:
        return FAIL_CODES[self.code]


def _no_faults() -> dict[str, float]:
    return dict.fromkeys(FAULT_KINDS, 0.0)


@dataclass(frozen=True)
class Settings:
    # Added to every AWS answer, to make slow endpoints observable in tests.
    latency_ms: int = 0
    # Lambda requests per second per account and region; 0: no limit.
    rate_limit: float = 0.0
    # Chance per AWS request of each fault; they add up to at most 1.
    faults: Mapping[str, float] = field(default_factory=_no_faults)
    fault_seed: int = 0
    slow_ms: int = 2000
    # Operations faults may hit; None: every one but GetCallerIdentity.
    fault_operations: tuple[str, ...] | None = None
    fail_next: tuple[FailNext, ...] = ()
    # How long a new destination is refused as if IAM had not caught up.
    propagation_seconds: float = 0.0

    def updated(self, changes: Mapping[str, Any]) -> Settings:
        unknown = sorted(set(changes) - set(_PARSERS))
        if unknown:
            known = ", ".join(_PARSERS)
            raise SettingsError(unknown[0], f"no such setting; known: {known}")
        parsed = {key: _PARSERS[key](key, value) for key, value in changes.items()}
        return replace(self, **parsed)

    def as_dict(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["fail_next"] = [asdict(entry) for entry in self.fail_next]
        if self.fault_operations is not None:
            shown["fault_operations"] = list(self.fault_operations)
        return shown


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(key, f"must be a whole number, 0 or more; got {value!r}")
    return value


def _number(key: str, value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise SettingsError(key, f"must be a number, 0 or more; got {value!r}")
    return float(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _seed(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(key, f"must be a whole number; got {value!r}")
    return value


def _faults(key: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise SettingsError(key, 'must be an object like {"throttle": 0.05}')
    rates = _no_faults()
    for kind, rate in value.items():
        if kind not in rates:
            known = ", ".join(FAULT_KINDS)
            raise SettingsError(f"{key}.{kind}", f"no such fault; known: {known}")
        if not _is_number(rate) or not 0 <= rate <= 1:
            raise SettingsError(f"{key}.{kind}", f"must be from 0 to 1; got {rate!r}")
        rates[kind] = float(rate)
    total = sum(rates.values())
    if total > 1 + 1e-9:
        raise SettingsError(key, f"the rates add up to {total:g}; at most 1")
    return rates


def _operations(key: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise SettingsError(key, "must be a list of operation names, or null")
    for index, name in enumerate(value):
        _operation(f"{key}[{index}]", name)
    return tuple(value)


def _operation(where: str, name: Any) -> str:
    if not isinstance(name, str) or not _OPERATION.fullmatch(name):
        raise SettingsError(
            where,
            "must be an AWS operation name such as PutFunctionEventInvokeConfig; "
            f"got {name!r}",
        )
    return name


def _fail_next(key: str, value: Any) -> tuple[FailNext, ...]:
    if not isinstance(value, list):
        raise SettingsError(
            key, "must be a list of {operation, code, count} or OPERATION:CODE[:COUNT]"
        )
    return tuple(_fail_entry(f"{key}[{i}]", entry) for i, entry in enumerate(value))


def _fail_entry(where: str, entry: Any) -> FailNext:
    if isinstance(entry, str):
        entry = _fail_spelling(where, entry)
    if not isinstance(entry, Mapping) or not {"operation", "code"} <= set(entry):
        raise SettingsError(
            where,
            "must be an object with operation and code, or OPERATION:CODE[:COUNT]",
        )
    extra = sorted(set(entry) - _FAIL_KEYS)
    if extra:
        known = ", ".join(sorted(_FAIL_KEYS))
        raise SettingsError(f"{where}.{extra[0]}", f"no such key; known: {known}")
    operation = _operation(f"{where}.operation", entry["operation"])
    code = entry["code"]
    if code not in FAIL_CODES:
        known = ", ".join(FAIL_CODES)
        raise SettingsError(f"{where}.code", f"must be one of {known}; got {code!r}")
    count = entry.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise SettingsError(f"{where}.count", f"must be 1 or more; got {count!r}")
    return FailNext(operation, code, count)


def _fail_spelling(where: str, text: str) -> dict[str, Any]:
    """OPERATION:CODE[:COUNT], as --fail-next spells an entry."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and not parts[2].isdigit()):
        raise SettingsError(where, f"{text!r} is not OPERATION:CODE[:COUNT]")
    entry: dict[str, Any] = {"operation": parts[0], "code": parts[1]}
    if len(parts) == 3:
        entry["count"] = int(parts[2])
    return entry


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "latency_ms": _count,
    "rate_limit": _number,
    "faults": _faults,
    "fault_seed": _seed,
    "slow_ms": _count,
    "fault_operations": _operations,
    "fail_next": _fail_next,
    "propagation_seconds": _number,
}
