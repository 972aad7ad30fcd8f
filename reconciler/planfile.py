"""Saved plans: what was reviewed, bound to the live state it was made against.

A plan file records the account and regions, a digest of every declared
config in normal form, each change with its exact request, and for each
target the live settings and ``LastModified`` seen. ``apply PLANFILE``
re-reads every target before its first write and refuses on any difference,
so a plan applied once (even partly) is spent: its targets have moved on.

The file carries a SHA-256 of its content, or an HMAC-SHA256 keyed by
``EIC_PLAN_KEY`` when that is set, so a hand-edited plan is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.errors import EicError, Location
from reconciler.loader import ConfigSet
from reconciler.model import Identity, Settings
from reconciler.planner import Change, FieldChange, Plan, choose_call
from reconciler.render import identity_json, settings_json

FILE_VERSION = 1
KEY_VARIABLE = "EIC_PLAN_KEY"
_REQUIRED = {"directory", "account", "regions", "declared_digest", "changes"}


class StalePlan(EicError):
    """The saved plan no longer describes what apply would do."""


def declared_digest(configs: ConfigSet) -> str:
    """SHA-256 over what the directory says, layout and comments aside.

    Every declared config in normal form, in identity order, and the
    settings that decide ownership: a `protect` or `scope` added after the
    plan was made must stop its deletes.
    """
    rows = [
        [*_identity_row(identity), *desired.settings.normal().as_dict().values()]
        for identity, desired in sorted(configs.desired.items())
    ]
    owner = configs.settings
    rules = [sorted(owner.scope), sorted(owner.protect), list(owner.regions)]
    return hashlib.sha256(json.dumps([rows, rules]).encode()).hexdigest()


def _identity_row(identity: Identity) -> list[str]:
    return [identity.region, identity.account, identity.function, identity.qualifier]


# --- writing ----------------------------------------------------------------


def save(path: str, plan: Plan, configs: ConfigSet, directory: str) -> None:
    if Path(path).exists() and not _looks_like_plan(path):
        raise EicError(
            f"refusing to write the plan over {path}, which is not an eic plan "
            "file; choose another --out"
        )
    body = {
        "eic_plan": FILE_VERSION,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "directory": directory,
        "account": plan.account,
        "regions": list(plan.regions),
        "declared_digest": declared_digest(configs),
        "unchanged": plan.unchanged,
        "spared": [[identity_json(i), p] for i, p in plan.spared],
        "notes": list(plan.notes),
        "changes": [_change_json(c) for c in plan.ordered()],
    }
    document = {"body": body, "signature": _sign(body)}
    try:
        Path(path).write_text(json.dumps(document, indent=1) + "\n")
    except OSError as err:
        raise EicError(f"cannot write the plan file {path}: {err.strerror}") from err


def _looks_like_plan(path: str) -> bool:
    try:
        return "eic_plan" in json.loads(Path(path).read_text()).get("body", {})
    except (OSError, ValueError, AttributeError):
        return False


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "identity": identity_json(change.identity),
        "action": change.action,
        "call": change.call,
        "request": change.request,
        "before": settings_json(change.before),
        "after": settings_json(change.after),
        "fields": [[f.name, f.old, f.new] for f in change.fields],
        "reason": change.reason,
        "source": str(change.location) if change.location else None,
        "last_modified": _time_text(change.last_modified),
    }


def _time_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _sign(body: dict[str, Any]) -> dict[str, str]:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    key = os.environ.get(KEY_VARIABLE)
    if key:
        digest = hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()
        return {"algorithm": "hmac-sha256", "value": digest}
    return {"algorithm": "sha256", "value": hashlib.sha256(canonical).hexdigest()}


# --- reading ----------------------------------------------------------------


def is_plan_file(path: str) -> bool:
    return Path(path).is_file()


def load(path: str) -> dict[str, Any]:
    """The verified body of a plan file; refuses a tampered or unsigned one."""
    try:
        document = json.loads(Path(path).read_text())
        body, signature = document["body"], document["signature"]
        if not isinstance(body, dict):
            raise TypeError("its body is not an object")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise EicError(
            f"{path} is not an eic plan file; make one with "
            "`eic plan DIR --out PLANFILE`"
        ) from err
    _verify(path, body, signature)
    missing = _REQUIRED - set(body)
    if body.get("eic_plan") != FILE_VERSION or missing:
        raise EicError(
            f"{path} was written by another eic version (or lacks "
            f"{', '.join(sorted(missing)) or 'nothing'}); make a new plan"
        )
    return body


def _verify(path: str, body: dict[str, Any], signature: Any) -> None:
    expected = _sign(body)
    keyed = bool(os.environ.get(KEY_VARIABLE))
    if not isinstance(signature, dict) or signature.get("algorithm") != expected[
        "algorithm"
    ]:
        need = "was not signed with EIC_PLAN_KEY" if keyed else "needs EIC_PLAN_KEY"
        raise StalePlan(f"refusing {path}: the plan {need}; nothing was changed")
    if not hmac.compare_digest(str(signature.get("value")), expected["value"]):
        raise StalePlan(
            f"refusing {path}: its content does not match its "
            f"{expected['algorithm']} (edited by hand, or signed with another "
            "key); nothing was changed. Make a new plan"
        )


def plan_from(body: dict[str, Any]) -> Plan:
    return Plan(
        account=body["account"],
        regions=tuple(body["regions"]),
        changes=tuple(_change_from(c) for c in body["changes"]),
        unchanged=body.get("unchanged", 0),
        spared=tuple((_identity_from(i), p) for i, p in body.get("spared", [])),
        notes=tuple(body.get("notes", [])),
    )


def _identity_from(data: dict[str, str]) -> Identity:
    return Identity(
        data["region"], data["account"], data["function_name"], data["qualifier"]
    )


def _settings_from(data: dict[str, Any] | None) -> Settings | None:
    return None if data is None else Settings(**data)


def _change_from(data: dict[str, Any]) -> Change:
    stamp = data.get("last_modified")
    return Change(
        identity=_identity_from(data["identity"]),
        action=data["action"],
        call=data["call"],
        before=_settings_from(data["before"]),
        after=_settings_from(data["after"]),
        request=data["request"],
        fields=tuple(FieldChange(*f) for f in data["fields"]),
        reason=data["reason"],
        location=Location(data["source"]) if data.get("source") else None,
        last_modified=datetime.fromisoformat(stamp) if stamp else None,
    )


def check_follows(plan: Plan, configs: ConfigSet) -> None:
    """Refuse a plan whose calls do not follow from the configs it names.

    Each change is derived again from the declared config and the live state
    the plan recorded; a plan signed by a key holder still cannot carry a
    request that git does not say.
    """
    for change in plan.changes:
        desired = configs.desired.get(change.identity)
        derived = choose_call(desired.settings if desired else None, change.before)
        if derived != (change.call, change.request, change.fields):
            raise StalePlan(
                f"refusing the saved plan: its {change.call} of "
                f"{change.identity} in {change.identity.region} does not follow "
                "from the declared configs; nothing was changed. Make a new plan"
            )


def check_fresh(plan: Plan, live: dict[Identity, tuple[Settings, Any]]) -> None:
    """Refuse unless every target is live exactly as when the plan was made."""
    stale = []
    for change in plan.changes:
        now = live.get(change.identity)
        then = (change.before, change.last_modified)
        if (now is None and then[0] is not None) or (
            now is not None and (now[0], now[1]) != then
        ):
            stale.append(_stale_line(change, now))
    if stale:
        raise StalePlan(
            "refusing the saved plan: live state changed since it was made "
            "(or the plan was already applied), so it is spent; nothing was "
            "changed. Make a new plan.\n" + "\n".join(stale)
        )


def _stale_line(change: Change, now: tuple[Settings, Any] | None) -> str:
    where = f"{change.identity} in {change.identity.region}"
    if now is None:
        return f"  {where}: the plan saw a config; there is none now"
    if change.before is None:
        return f"  {where}: the plan saw no config; there is one now"
    return f"  {where}: changed (last modified {now[1]})"
