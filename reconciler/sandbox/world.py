"""World documents: what the sandbox starts from.

A world is read (YAML or JSON), checked against schemas/world.schema.json
and then against the rules a schema cannot say (references between entries,
regions that exist, AWS's naming rules, destinations AWS refuses in any
state), and only then handed to ``seeding``, which checks the role policies
with moto's own validator before it changes anything. Nothing here imports
moto: the account must be known before moto is imported, and a world file
may name it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from .destinations import KINDS, parse_arn
from .errors import WorldError
from .names import LATEST, Target
from .regions import is_known
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
class Naming:
    """AWS's naming rule for one kind of placed resource; moto enforces it."""

    key: str  # the world's list of them
    service: str  # botocore's name, for the regions that offer it
    pattern: re.Pattern[str]
    rule: str


_WORD = "[a-zA-Z0-9_-]"
NAMINGS = (
    Naming(
        "queues",
        "sqs",
        re.compile(rf"{_WORD}{{1,80}}|{_WORD}{{1,75}}\.fifo"),
        "1 to 80 letters, digits, - or _ (a FIFO queue's ending in .fifo)",
    ),
    Naming(
        "topics",
        "sns",
        re.compile(rf"{_WORD}{{1,256}}|{_WORD}{{1,251}}\.fifo"),
        "1 to 256 letters, digits, - or _ (a FIFO topic's ending in .fifo)",
    ),
    Naming(
        "buses",
        "events",
        re.compile(r"[a-zA-Z0-9._-]{1,256}"),
        "1 to 256 letters, digits, ., - or _",
    ),
    Naming(
        "buckets",
        "s3",
        re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
        "3 to 63 lower-case letters, digits, . or -, starting and ending "
        "with a letter or digit",
    ),
)


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

    def placed(self, key: str) -> list[Placed]:
        lists = {
            "queues": self.queues,
            "topics": self.topics,
            "buses": self.buses,
            "buckets": self.buckets,
        }
        return lists[key]


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
        raise invalid_world(problems)
    world = _build(document, account)
    problems = _reference_problems(document, world) + _placement_problems(world)
    if problems:
        raise invalid_world(problems)
    return world


def invalid_world(problems: list[str]) -> WorldError:
    return WorldError("invalid world:\n" + "\n".join(f"  {p}" for p in problems))


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
    for index, (target, config) in enumerate(world.configs):
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
        problems += _success_problems(where, config)
    return problems


def _success_problems(where: str, config: AsyncConfig) -> list[str]:
    """AWS refuses some destinations on success (S3) whatever the state."""
    arn = config.destinations.on_success
    parsed = parse_arn(arn) if arn else None
    kind = KINDS.get(parsed.service) if parsed else None
    if parsed is None or kind is None or kind.on_success:
        return []
    field = f"{where}.destination_config.on_success.destination"
    problem = (
        f"{field}: AWS refuses {arn} on success: an {parsed.service} "
        "destination may only be on_failure"
    )
    return [problem]


def _placement_problems(world: World) -> list[str]:
    """What moto would refuse while seeding: unknown regions, bad names."""
    problems = []
    if not is_known(world.region):
        problems.append(f"world.region: {world.region} is not an AWS region")
    for index, fn in enumerate(world.functions):
        where = f"world.functions[{index}]"
        problems += _region_problems(world, where, fn.region, "lambda")
    for naming in NAMINGS:
        problems += _naming_problems(world, naming)
    return problems + _duplicate_problems(world)


def _region_problems(world: World, where: str, region: str, service: str) -> list[str]:
    if region == world.region and not is_known(region):
        return []  # reported once, at world.region
    if is_known(region, service):
        return []
    return [f"{where}: {service} is not offered in region {region}"]


def _naming_problems(world: World, naming: Naming) -> list[str]:
    problems = []
    for index, entry in enumerate(world.placed(naming.key)):
        where = f"world.{naming.key}[{index}]"
        if not naming.pattern.fullmatch(entry.name):
            problems.append(f"{where}: {entry.name!r} is not {naming.rule}")
        problems += _region_problems(world, where, entry.region, naming.service)
    return problems


def _duplicate_problems(world: World) -> list[str]:
    # moto refuses a second bus of one name in a region, and a second bucket
    # of one name anywhere: bucket names are shared by every region.
    buses, buckets = world.buses, world.buckets
    problems = [
        f"world.buses[{i}]: bus {buses[i].name} in {buses[i].region} is already "
        f"declared at world.buses[{first}]"
        for i, first in _repeats([(b.region, b.name) for b in buses])
        if buses[i].name != "default"  # it exists anyway; seeding skips it
    ]
    return problems + [
        f"world.buckets[{i}]: bucket {buckets[i].name} is already declared at "
        f"world.buckets[{first}]; bucket names are global"
        for i, first in _repeats([b.name for b in buckets])
    ]


def _repeats(keys: list[Hashable]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) of each key seen before."""
    first: dict[Hashable, int] = {}
    return [(i, first[k]) for i, k in enumerate(keys) if first.setdefault(k, i) != i]
