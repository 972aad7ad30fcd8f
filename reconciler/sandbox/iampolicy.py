"""Enough of IAM policy evaluation to decide a destination permission.

Identity policies only: an explicit Deny wins, then any Allow grants.
Action and Resource (and their Not- forms) match with the `*` and `?`
wildcards; actions ignore case, resources do not. Conditions are not
evaluated, so a statement that has one never applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal

Statement = Mapping[str, Any]


Decision = Literal["allowed", "implicitDeny", "explicitDeny"]


def is_allowed(
    policies: Iterable[Mapping[str, Any]], action: str, resource: str
) -> bool:
    return decide(policies, action, resource) == "allowed"


def decide(
    policies: Iterable[Mapping[str, Any]], action: str, resource: str
) -> Decision:
    """IAM's three answers, in the words iam:SimulatePrincipalPolicy uses."""
    statements = [s for policy in policies for s in _statements(policy)]
    effects = {s.get("Effect") for s in statements if _applies(s, action, resource)}
    if "Deny" in effects:
        return "explicitDeny"
    return "allowed" if "Allow" in effects else "implicitDeny"


def _statements(policy: Mapping[str, Any]) -> list[Statement]:
    found = policy.get("Statement", [])
    listed = found if isinstance(found, list) else [found]
    return [s for s in listed if isinstance(s, Mapping)]


def _applies(statement: Statement, action: str, resource: str) -> bool:
    if "Condition" in statement:
        return False
    return _matches(statement, "Action", action, True) and _matches(
        statement, "Resource", resource, False
    )


def _matches(statement: Statement, element: str, value: str, fold: bool) -> bool:
    if element in statement:
        return _any_pattern(statement[element], value, fold)
    if f"Not{element}" in statement:
        return not _any_pattern(statement[f"Not{element}"], value, fold)
    return False


def _any_pattern(patterns: Any, value: str, fold: bool) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    return any(
        isinstance(p, str) and _wildcard(p, fold).fullmatch(value) for p in listed
    )


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, fold: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE if fold else 0)
