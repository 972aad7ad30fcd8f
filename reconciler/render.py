"""A plan as text for a terminal, JSON for machines, Markdown for reviewers.

The JSON form is a stable, versioned document (``schemas/plan.schema.json``);
add fields freely, but change or remove one only with a new
``format_version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from reconciler.model import FIELDS, Identity, Settings
from reconciler.planner import API_NAMES, Change, FieldChange, Plan

FORMAT_VERSION = "1"
MARKDOWN_LIMIT = 60 * 1024
SYMBOLS = {"create": "+", "update": "~", "delete": "-"}
COLOURS = {"create": "32", "update": "33", "delete": "31"}
CALL_LABEL = {"put": "Put", "update": "Update", "delete": "Delete"}


def summary_line(plan: Plan) -> str:
    errors = f" {len(plan.errors)} could not be planned." if plan.errors else ""
    if not plan.changes:
        return ("No changes to the rest." + errors) if errors else "No changes."
    return (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to "
        f"update, {plan.count('delete')} to delete.{errors}"
    )


def show_value(name: str, value: Any) -> str:
    if value is None:
        return "none" if name.startswith("on_") else "unset"
    return str(value)


# --- text -----------------------------------------------------------------


def text(plan: Plan, colour: bool = False) -> str:
    lines: list[str] = []
    for region, changes in _by_region(plan.ordered()):
        lines.append(f"{region}:")
        for change in changes:
            lines.extend(_text_change(change, colour))
        lines.append("")
    for identity, pattern in plan.spared:
        lines.append(
            f"Spared by protect `{pattern}`: {identity} in {identity.region} "
            "(owned and not declared)"
        )
    lines.extend(plan.notes)
    lines.extend(f"Warning: {warning}" for warning in plan.warnings)
    if plan.spared or plan.notes or plan.warnings:
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def _text_change(change: Change, colour: bool) -> list[str]:
    symbol = SYMBOLS[change.action]
    if colour:
        symbol = f"\033[{COLOURS[change.action]}m{symbol}\033[0m"
    head = (
        f"  {symbol} {change.identity}  "
        f"{CALL_LABEL[change.call]} ({change.reason})"
    )
    return [head] + [f"      {_field_text(f)}" for f in change.fields]


def _field_text(field: FieldChange) -> str:
    old = show_value(field.name, field.old)
    new = "removed" if field.new is None and field.name.startswith("max") else (
        show_value(field.name, field.new)
    )
    return f"{field.name}: {old} -> {new}"


def _by_region(changes: Iterable[Change]) -> list[tuple[str, list[Change]]]:
    grouped: dict[str, list[Change]] = {}
    for change in changes:
        grouped.setdefault(change.identity.region, []).append(change)
    return sorted(grouped.items())


# --- JSON -----------------------------------------------------------------


def as_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "account": plan.account,
        "regions": list(plan.regions),
        "summary": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "delete": plan.count("delete"),
            "unchanged": plan.unchanged,
            "errors": len(plan.errors),
            "warnings": len(plan.warnings),
        },
        "changes": [_json_change(c) for c in plan.ordered()],
        "spared": [
            {"identity": identity_json(i), "pattern": p} for i, p in plan.spared
        ],
        "errors": [
            {
                "identity": identity_json(e.identity),
                "source": str(e.location),
                "message": e.message,
            }
            for e in plan.errors
        ],
        "notes": list(plan.notes),
        "warnings": [
            {
                "identity": identity_json(w.identity),
                "source": str(w.location) if w.location else None,
                "message": w.message,
            }
            for w in plan.warnings
        ],
    }


def json_text(plan: Plan) -> str:
    return json.dumps(as_json(plan), indent=2, sort_keys=False) + "\n"


def identity_json(identity: Identity) -> dict[str, str]:
    return {
        "region": identity.region,
        "account": identity.account,
        "function_name": identity.function,
        "qualifier": identity.qualifier,
    }


def settings_json(settings: Settings | None) -> dict[str, Any] | None:
    if settings is None:
        return None
    values = settings.as_dict()
    return {name: values[name] for name in FIELDS}


def _json_change(change: Change) -> dict[str, Any]:
    return {
        "identity": identity_json(change.identity),
        "action": change.action,
        "api_call": API_NAMES[change.call],
        "request": change.request,
        "before": settings_json(change.before),
        "after": settings_json(change.after),
        "changed": [
            {"field": f.name, "before": f.old, "after": f.new} for f in change.fields
        ],
        "reason": change.reason,
        "source": str(change.location) if change.location else None,
    }


# --- Markdown -------------------------------------------------------------


def markdown(plan: Plan, limit: int = MARKDOWN_LIMIT) -> str:
    head = [f"### eic plan: {summary_line(plan)}", ""]
    rows = [
        "| | config | region | call | changes | why |",
        "|---|---|---|---|---|---|",
    ]
    # Deletes first: if the table must be cut, the rows a reviewer most
    # needs to see are the ones that stay.
    deletes_first = sorted(plan.ordered(), key=lambda c: c.action != "delete")
    rows += [_markdown_row(c) for c in deletes_first]
    if not plan.changes:
        rows = []
    return _fit(head, rows + _markdown_tail(plan), limit, len(plan.changes))


def _markdown_row(change: Change) -> str:
    fields = "<br>".join(_md_escape(_field_text(f)) for f in change.fields)
    return (
        f"| {SYMBOLS[change.action]} | `{change.identity}` | "
        f"{change.identity.region} | {CALL_LABEL[change.call]} | {fields} | "
        f"{_md_escape(change.reason)} |"
    )


def _markdown_tail(plan: Plan) -> list[str]:
    tail = [""]
    tail += [
        f"- :shield: spared by protect `{p}`: `{i}` in {i.region}"
        for i, p in plan.spared
    ]
    tail += [f"- :x: {_md_escape(f'{e.location}: {e.message}')}" for e in plan.errors]
    tail += [f"- :warning: {_md_escape(str(w))}" for w in plan.warnings]
    tail += [f"- {_md_escape(note)}" for note in plan.notes]
    return tail


def _fit(head: list[str], lines: list[str], limit: int, changes: int) -> str:
    """Join, dropping lines from the end until the text fits ``limit`` bytes.

    ``lines`` starts with the table: two header rows, then one per change.
    """
    budget = limit - len("\n".join(head).encode()) - 300
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line.encode()) + 1
        if used > budget:
            break
        kept.append(line)
    if len(kept) < len(lines):
        shown = min(max(len(kept) - 2, 0), changes)
        kept += [
            "",
            f"> **Cut to fit:** {shown} of {changes} changes shown, and the "
            "notes after them left out. Run `eic plan` (or `--output json`) "
            "for the whole plan.",
        ]
    return "\n".join(head + kept).rstrip() + "\n"


def _md_escape(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
