"""World documents: what the sandbox starts from.

A world is read (YAML or JSON), checked against schemas/world.schema.json
and then against the rules a schema cannot say (references between entries),
and only then handed to ``seeding``. Nothing here imports moto: the account
must be known before moto is imported, and a world file may name it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from .errors import WorldError
from .names import LATEST, Target
from .store import AsyncConfig, Destinations

# reconciler/schemas links to the repository's schemas/ and is packaged, so
# this path holds in a checkout and in an installed wheel alike.
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "world.schema.json"
DEFAULT_REGION = "eu-west-1"
DEFAULT_ROLE = "eic-sandbox-default"


@dataclass(frozen=True)
class Placed:
    """A named resource in a region (queues, topics, buses, buckets)."""

    name: str
    region: str


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    region: str
    role: str
    versions: int
    aliases: Mapping[str, str]

    def has_qualifier(self, qualifier: str) -> bool:
        if qualifier == LATEST or qualifier in self.aliases:
            return True
        return qualifier.isdigit() and 1 <= int(qualifier) <= self.versions


@dataclass(frozen=True)
class World:
    account: str
    region: str
    iam_checks: bool
    roles: Mapping[str, list[Mapping[str, Any]]]
    functions: list[FunctionSpec]
    queues: list[Placed] = field(default_factory=list)
    topics: list[Placed] = field(default_factory=list)
    buses: list[Placed] = field(default_factory=list)
    buckets: list[Placed] = field(default_factory=list)
    configs: list[tuple[Target, AsyncConfig]] = field(default_factory=list)


# libyaml's loader when PyYAML has it: big worlds parse many times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_world(text: str, origin: str = "world") -> Mapping[str, Any]:
    try:
        document = _parse(text)
    except yaml.YAMLError as error:
        raise WorldError(f"{origin}: not valid YAML or JSON: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise WorldError(f"{origin}: a world is a mapping of keys to values")
    return document


def _parse(text: str) -> Any:
    # Test harnesses post JSON; json parses it faster than any YAML loader.
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style also starts with "{"
    return yaml.load(text, Loader=_YAML_LOADER)


def read_world_file(path: str) -> Mapping[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise WorldError(f"cannot read world file {path}: {error.strerror}") from error
    return parse_world(text, path)


def check_world(document: Mapping[str, Any], account: str) -> World:
    """A World, or a WorldError that lists every problem found."""
    problems = schema_problems(document)
    if problems:
        raise WorldError(_report(problems))
    world = _build(document, account)
    problems = _reference_problems(document, world)
    if problems:
        raise WorldError(_report(problems))
    return world


def schema_problems(document: Mapping[str, Any]) -> list[str]:
    errors = [_explain(e) for e in _validator().iter_errors(document)]
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_where(e.absolute_path)}: {e.message}" for e in ordered]


def _explain(error: ValidationError) -> ValidationError:
    """The most telling error for "not valid under any of the given schemas"."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return error
    options = error.validator_value
    if all(list(o) == ["required"] for o in options):
        names = ", ".join(name for o in options for name in o["required"])
        error.message = f"needs at least one of {names}"
        return error
    # A type mismatch only says "this was not the other alternative".
    telling = [e for e in error.context if e.validator != "type"]
    return _explain(best_match(telling or error.context))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    try:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except OSError as error:
        raise WorldError(f"cannot read the world schema {SCHEMA_PATH}") from error
    return jsonschema.Draft202012Validator(schema)


def _where(path: Iterable[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "world" + "".join(parts)


def _report(problems: list[str]) -> str:
    return "invalid world:\n" + "\n".join(f"  {p}" for p in problems)


def _placed(entries: Iterable[Any], region: str) -> list[Placed]:
    return [
        Placed(e, region)
        if isinstance(e, str)
        else Placed(e["name"], e.get("region", region))
        for e in entries
    ]


def _build(document: Mapping[str, Any], account: str) -> World:
    wanted = document.get("account", account)
    if wanted != account:
        raise WorldError(
            f"the world is for account {wanted}, but this sandbox serves account "
            f"{account}; restart the sandbox with --account {wanted}"
        )
    region = document.get("region", DEFAULT_REGION)
    return World(
        account=account,
        region=region,
        iam_checks=document.get("iam_checks", False),
        roles={r["name"]: r.get("policies", []) for r in document.get("roles", [])},
        functions=[_function(f, region) for f in document.get("functions", [])],
        queues=_placed(document.get("queues", []), region),
        topics=_placed(document.get("topics", []), region),
        buses=_placed(document.get("buses", []), region),
        buckets=_placed(document.get("buckets", []), region),
        configs=[
            _config(c, account, region)
            for c in document.get("event_invoke_configs", [])
        ],
    )


def _function(entry: Mapping[str, Any], region: str) -> FunctionSpec:
    aliases = {name: str(v) for name, v in entry.get("aliases", {}).items()}
    return FunctionSpec(
        name=entry["name"],
        region=entry.get("region", region),
        role=entry.get("role", DEFAULT_ROLE),
        versions=entry.get("versions", 0),
        aliases=aliases,
    )


def _config(
    entry: Mapping[str, Any], account: str, region: str
) -> tuple[Target, AsyncConfig]:
    target = Target(
        account=account,
        region=entry.get("region", region),
        function=entry["function_name"],
        qualifier=str(entry.get("qualifier", LATEST)),
    )
    halves = entry.get("destination_config", {})
    destinations = Destinations(
        on_success=halves.get("on_success", {}).get("destination"),
        on_failure=halves.get("on_failure", {}).get("destination"),
    )
    config = AsyncConfig(
        retries=entry.get("maximum_retry_attempts"),
        max_age=entry.get("maximum_event_age_in_seconds"),
        destinations=destinations,
    )
    return target, config


def _reference_problems(document: Mapping[str, Any], world: World) -> list[str]:
    problems = _role_problems(document)
    seen: dict[tuple[str, str], int] = {}
    for index, fn in enumerate(world.functions):
        where = f"world.functions[{index}]"
        if (fn.region, fn.name) in seen:
            problems.append(
                f"{where}: function {fn.name} is already declared in "
                f"{fn.region} at world.functions[{seen[fn.region, fn.name]}]"
            )
        seen.setdefault((fn.region, fn.name), index)
        if fn.role != DEFAULT_ROLE and fn.role not in world.roles:
            problems.append(f"{where}.role: no role named {fn.role} in world.roles")
        for alias, version in fn.aliases.items():
            if not fn.has_qualifier(version):
                problems.append(
                    f"{where}.aliases.{alias}: version {version} is not published "
                    f"(the function has {fn.versions} versions)"
                )
    return problems + _config_problems(world)


def _role_problems(document: Mapping[str, Any]) -> list[str]:
    names = [r["name"] for r in document.get("roles", [])]
    return [
        f"world.roles[{index}]: role {name} is declared twice"
        for index, name in enumerate(names)
        if name in names[:index] or name == DEFAULT_ROLE
    ]


def _config_problems(world: World) -> list[str]:
    functions = {(f.region, f.name): f for f in world.functions}
    problems = []
    seen: set[Target] = set()
    for index, (target, _) in enumerate(world.configs):
        where = f"world.event_invoke_configs[{index}]"
        fn = functions.get((target.region, target.function))
        if fn is None:
            problems.append(
                f"{where}: no function {target.function} in {target.region} "
                "among world.functions"
            )
        elif not fn.has_qualifier(target.qualifier):
            problems.append(
                f"{where}.qualifier: {target.function} has no version or alias "
                f"{target.qualifier}"
            )
        if target in seen:
            problems.append(f"{where}: a second config for {target.arn}")
        seen.add(target)
    return problems
