"""Make exactly a plan's calls: the only module that writes AWS state.

Writes to one function run one after another (AWS answers concurrent writes
to one function's configs with 409); different functions run in parallel.
Deletes start only after every create and update has finished, so no moment
leaves a declared config absent. A failed call does not stop the others.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.aws import LambdaApi
from reconciler.errors import AwsCallError, EicError
from reconciler.planner import Change, Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    change: Change
    error: str | None = None  # None: the call succeeded
    skipped: bool = False  # not attempted: interrupted first

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped


class Executor:
    def __init__(
        self,
        apis: dict[str, LambdaApi],
        pool: ThreadPoolExecutor,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.apis = apis
        self.pool = pool
        self.progress = progress
        self.stop = threading.Event()
        for api in apis.values():
            api.stop = self.stop
        self._done = 0
        self._total = 0
        self._lock = threading.Lock()

    def run(self, plan: Plan) -> list[Outcome]:
        ordered = plan.ordered()
        self._total = len(ordered)
        writes = [c for c in ordered if c.action != "delete"]
        deletes = [c for c in ordered if c.action == "delete"]
        return self._run_phase(writes) + self._run_phase(deletes)

    def _run_phase(self, changes: list[Change]) -> list[Outcome]:
        by_function: dict[tuple[str, str], list[Change]] = defaultdict(list)
        for change in changes:
            key = (change.identity.region, change.identity.function)
            by_function[key].append(change)
        batches = self.pool.map(self._run_serially, by_function.values())
        return [outcome for batch in batches for outcome in batch]

    def _run_serially(self, changes: list[Change]) -> list[Outcome]:
        return [self._run_one(change) for change in changes]

    def _run_one(self, change: Change) -> Outcome:
        if self.stop.is_set():
            return Outcome(change, skipped=True)
        try:
            self._call(change)
            outcome = Outcome(change)
        except AwsCallError as err:
            hint = f" Try: {err.hint}." if err.hint else ""
            outcome = Outcome(change, error=f"{err.code}: {err.aws_message}{hint}")
        except EicError as err:
            outcome = Outcome(change, error=str(err))
        self._tick()
        return outcome

    def _call(self, change: Change) -> None:
        identity = change.identity
        api = self.apis[identity.region]
        function, qualifier = identity.function, identity.qualifier
        if change.call == "put":
            api.put(function, qualifier, change.request)
        elif change.call == "update":
            api.update(function, qualifier, change.request)
        else:
            api.delete(function, qualifier)

    def _tick(self) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        if self.progress:
            self.progress(done, self._total)
