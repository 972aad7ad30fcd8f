"""Which injected fault, if any, a request gets.

Faults by rate are drawn from one ``random.Random(fault_seed)``, one draw
per request in scope, so the same requests in the same order meet the same
faults in every run. ``fail_next`` entries are exact: each request takes the
first entry naming its operation (whatever ``fault_operations`` says), and
that entry overrides the draw. A new Faults (every settings change) starts
the sequence again.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

from .settings import FAULT_KINDS, FailNext, Settings

# AWS answers 409 on writes to one function's configs, never on reads.
WRITES = frozenset(
    {
        "PutFunctionEventInvokeConfig",
        "UpdateFunctionEventInvokeConfig",
        "DeleteFunctionEventInvokeConfig",
    }
)
# Clients ask it first to learn the account; faulting it tests nothing.
NEVER_BY_DEFAULT = frozenset({"GetCallerIdentity"})


class Faults:
    def __init__(self, settings: Settings) -> None:
        self._rates = dict(settings.faults)
        self._operations = settings.fault_operations
        self._random = random.Random(settings.fault_seed)
        self._pending = list(settings.fail_next)
        self._lock = threading.Lock()

    def decide(self, operation: str) -> str | None:
        """The fault kind for this request (see FAULT_KINDS), or None."""
        with self._lock:
            drawn = self._draw(operation) if self._in_scope(operation) else None
            return self._take_pending(operation) or drawn

    def pending(self) -> tuple[FailNext, ...]:
        """The fail_next entries not used up yet."""
        with self._lock:
            return tuple(self._pending)

    def _in_scope(self, operation: str) -> bool:
        if self._operations is None:
            return operation not in NEVER_BY_DEFAULT
        return operation in self._operations

    def _draw(self, operation: str) -> str | None:
        point = self._random.random()
        for kind in FAULT_KINDS:
            if point < self._rates[kind]:
                if kind == "conflict" and operation not in WRITES:
                    return None
                return kind
            point -= self._rates[kind]
        return None

    def _take_pending(self, operation: str) -> str | None:
        for index, entry in enumerate(self._pending):
            if entry.operation == operation:
                if entry.count > 1:
                    self._pending[index] = replace(entry, count=entry.count - 1)
                else:
                    del self._pending[index]
                return entry.kind
        return None
