"""Pair desired with live configs and decide the one call each needs.

Pure: no AWS, no I/O. The rules are design.md's "Which call": compare in
normal form; Update only when every change is a retry count or maximum age
that desired declares; otherwise Put the whole desired config; Delete what
scope owns, nothing declares and nothing protects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from deepdiff import DeepDiff

from reconciler.errors import Location
from reconciler.live import LiveState
from reconciler.loader import ConfigSet
from reconciler.model import (
    NORMAL_DEFAULT,
    UPDATABLE,
    Desired,
    Identity,
    Live,
    Settings,
    settings_to_api,
)

Action = Literal["create", "update", "delete"]
Call = Literal["put", "update", "delete"]
API_NAMES = {
    "put": "PutFunctionEventInvokeConfig",
    "update": "UpdateFunctionEventInvokeConfig",
    "delete": "DeleteFunctionEventInvokeConfig",
}


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One config to write, and why."""

    identity: Identity
    action: Action
    call: Call
    before: Settings | None
    after: Settings | None
    request: dict[str, Any]
    fields: tuple[FieldChange, ...]
    reason: str
    location: Location | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True)
class TargetError:
    """A declared config that cannot be planned (its function is missing)."""

    identity: Identity
    location: Location
    message: str


@dataclass(frozen=True)
class Plan:
    account: str
    regions: tuple[str, ...]
    changes: tuple[Change, ...]
    unchanged: int = 0
    spared: tuple[tuple[Identity, str], ...] = ()
    errors: tuple[TargetError, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[Any, ...] = ()  # preflight.Warning, added after planning

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    def ordered(self) -> tuple[Change, ...]:
        """Creates and updates first, deletes last, each in identity order."""
        return tuple(
            sorted(self.changes, key=lambda c: (c.action == "delete", c.identity))
        )


def choose_call(
    desired: Settings | None, live: Settings | None
) -> tuple[Call, dict[str, Any], tuple[FieldChange, ...]] | None:
    """The call that takes ``live`` to ``desired``, or None when none is needed.

    ``desired`` None means "delete"; ``live`` None means "no config".
    """
    if desired is None:
        if live is None:
            return None
        removed = tuple(FieldChange(k, v, None) for k, v in live.declared().items())
        return "delete", {}, removed
    want = desired.normal()
    have = live.normal() if live else NORMAL_DEFAULT
    if want == have:
        return None
    fields = _changed(have, want)
    if live is not None and all(
        f.name in UPDATABLE and getattr(desired, f.name) is not None for f in fields
    ):
        request = settings_to_api(
            Settings(**{f.name: f.new for f in fields})  # type: ignore[arg-type]
        )
        return "update", request, fields
    return "put", settings_to_api(desired), fields


def _changed(have: Settings, want: Settings) -> tuple[FieldChange, ...]:
    old, new = have.as_dict(), want.as_dict()
    # Equal pairs never get here; DeepDiff names what differs.
    keys = DeepDiff(old, new).affected_root_keys
    return tuple(FieldChange(k, old[k], new[k]) for k in sorted(keys, key=_order))


def _order(name: str) -> int:
    return list(NORMAL_DEFAULT.as_dict()).index(name)


def make_plan(configs: ConfigSet, state: LiveState) -> Plan:
    changes: list[Change] = []
    errors: list[TargetError] = []
    unchanged = 0
    for identity, desired in sorted(configs.desired.items()):
        if (identity.region, identity.function) in state.missing:
            errors.append(_missing(desired))
            continue
        change = _declared_change(desired, state.configs.get(identity))
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    deletes, spared = _deletes(configs, state)
    return Plan(
        account=state.account,
        regions=state.managed_regions,
        changes=tuple(changes + deletes),
        unchanged=unchanged,
        spared=tuple(spared),
        errors=tuple(errors),
        notes=_notes(configs),
    )


def _declared_change(desired: Desired, live: Live | None) -> Change | None:
    chosen = choose_call(desired.settings, live.settings if live else None)
    if chosen is None:
        return None
    call, request, fields = chosen
    return Change(
        identity=desired.identity,
        action="update" if live else "create",
        call=call,
        before=live.settings if live else None,
        after=desired.settings,
        request=request,
        fields=fields,
        reason=f"declared at {desired.location}",
        location=desired.location,
        last_modified=live.last_modified if live else None,
    )


def _deletes(
    configs: ConfigSet, state: LiveState
) -> tuple[list[Change], list[tuple[Identity, str]]]:
    deletes, spared = [], []
    for identity, live in sorted(state.configs.items()):
        pattern = state.owned.get((identity.region, identity.function))
        if pattern is None or identity in configs.desired:
            continue
        protected = configs.settings.protects(identity)
        if protected:
            spared.append((identity, protected))
            continue
        if live.settings.normal() == NORMAL_DEFAULT:
            continue  # deleting it would leave the function behaving the same
        deletes.append(_delete(live, pattern))
    return deletes, spared


def _delete(live: Live, pattern: str) -> Change:
    chosen = choose_call(None, live.settings)
    assert chosen is not None
    return Change(
        identity=live.identity,
        action="delete",
        call="delete",
        before=live.settings,
        after=None,
        request={},
        fields=chosen[2],
        reason=f"owned by scope `{pattern}`, not declared",
        last_modified=live.last_modified,
    )


def _missing(desired: Desired) -> TargetError:
    identity = desired.identity
    return TargetError(
        identity,
        desired.location,
        f"function {identity.function} does not exist in {identity.region} "
        f"(account {identity.account}); create it first or fix function_name",
    )


def _notes(configs: ConfigSet) -> tuple[str, ...]:
    if configs.settings.scope:
        return ()
    return (
        "No `scope` in eic.yaml: eic deletes nothing. Add a scope to let "
        "removing an entry remove its config.",
    )
