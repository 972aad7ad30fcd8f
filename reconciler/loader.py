"""Load a configs directory into desired configs, or report every problem.

Reads no AWS state. Each file is checked on its own (YAML, schema, names,
destinations); then identities are compared across all files. Problems are
collected, never raised one at a time, so one run reports them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from reconciler import names, schema, yamlsafe
from reconciler.errors import InputError, Location, Problem, connection_error
from reconciler.model import Desired, Identity, Settings

SETTINGS_FILE = "eic.yaml"
CONFIG_SUFFIXES = (".yaml", ".yml")
# In ``validate`` the caller is unknown: ARNs are taken to name its account.
CALLER = ""


@dataclass(frozen=True)
class DirSettings:
    """``eic.yaml``: what the directory manages and may touch."""

    regions: tuple[str, ...] = ()
    account: str | None = None
    scope: tuple[str, ...] = ()
    protect: tuple[str, ...] = ()
    rate_limit: float | None = None

    def owns(self, function: str) -> str | None:
        """The scope pattern that owns ``function``, if any."""
        return next((p for p in self.scope if fnmatchcase(function, p)), None)

    def protects(self, identity: Identity) -> str | None:
        """The protect pattern that spares ``identity``, if any."""
        for pattern in self.protect:
            function, _, qualifier = pattern.partition(":")
            if fnmatchcase(identity.function, function) and (
                not qualifier or fnmatchcase(identity.qualifier, qualifier)
            ):
                return pattern
        return None


@dataclass
class ConfigSet:
    """Everything a configs directory declares."""

    settings: DirSettings
    desired: dict[Identity, Desired] = field(default_factory=dict)
    # Accounts named by ARNs, checked against the caller once it is known.
    arn_accounts: dict[Identity, str] = field(default_factory=dict)
    files: int = 0
    # The AWS environment's region, the last fallback for entries and scope.
    default_region: str | None = None

    def bind_account(self, caller: str) -> None:
        """Give every identity the caller's account; refuse foreign ARNs."""
        problems = [
            Problem(
                self.desired[identity].location,
                f"the ARN names account {account}, but the credentials are for "
                f"account {caller}; eic manages one account at a time",
            )
            for identity, account in self.arn_accounts.items()
            if account != caller
        ]
        if problems:
            raise InputError(problems)
        self.desired = {
            replace(i, account=caller): replace(d, identity=replace(i, account=caller))
            for i, d in self.desired.items()
        }


def environment_region() -> str | None:
    """The region the AWS environment names (AWS_REGION, profile), if any."""
    import botocore.exceptions  # late: `validate` needs only this of botocore
    import botocore.session

    try:
        return botocore.session.get_session().get_config_variable("region")
    except botocore.exceptions.BotoCoreError as err:  # a broken profile
        raise connection_error(err) from err


def load_directory(
    directory: str,
    default_region: str | None,
    max_bytes: int = yamlsafe.DEFAULT_MAX_BYTES,
) -> ConfigSet:
    """Load and check every config file under ``directory``.

    Raises ``InputError`` carrying every problem in every file.
    """
    root = Path(directory)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        where = Location(directory)
        raise InputError([Problem(where, f"{what}; give the configs directory")])
    problems: list[Problem] = []
    settings = _load_settings(root, problems, max_bytes)
    configs = ConfigSet(settings, default_region=default_region)
    paths = _config_paths(root, problems)
    configs.files = len(paths)
    context = _Context(settings, default_region, configs, problems)
    for path in paths:
        _load_config_file(path, context, max_bytes)
    if problems:
        raise InputError(problems)
    return configs


def _load_settings(
    root: Path, problems: list[Problem], max_bytes: int
) -> DirSettings:
    path = root / SETTINGS_FILE
    if not os.path.lexists(path):
        return DirSettings()
    # Every key is optional, so an empty or all-comment eic.yaml is fine.
    doc = _read(str(path), problems, max_bytes, empty={})
    if doc is None:
        return DirSettings()
    found = schema.check(doc, "settings")
    problems.extend(found)
    if found:
        return DirSettings()
    data = doc.data
    return DirSettings(
        regions=tuple(data.get("regions", ())),
        account=data.get("account"),
        scope=tuple(data.get("scope", ())),
        protect=tuple(data.get("protect", ())),
        rate_limit=data.get("rate_limit"),
    )


def _config_paths(root: Path, problems: list[Problem]) -> list[str]:
    """Config files below ``root``, in a stable order.

    Symlinked folders are followed (skipping one would turn what it declares
    into "undeclared", which scope then deletes); a folder reached twice
    through links is a problem, not an endless walk.
    """
    found: list[str] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            problems.append(
                Problem(Location(folder), "is reached twice through symbolic links "
                        "(a loop?); eic reads every folder once")
            )
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        named_like_files = [d for d in dirs if _is_config_name(d)]
        for name in sorted(files + named_like_files):
            if _is_config_name(name):
                found.append(os.path.join(folder, name))
        dirs[:] = [d for d in dirs if not _is_config_name(d)]
    settings = str(root / SETTINGS_FILE)
    return [path for path in found if path != settings]


def _is_config_name(name: str) -> bool:
    return name.lower().endswith(CONFIG_SUFFIXES) and not name.startswith(".")


def _read(
    path: str, problems: list[Problem], max_bytes: int, empty: Any = None
) -> yamlsafe.Document | None:
    try:
        return yamlsafe.load(path, max_bytes, empty)
    except yamlsafe.YamlProblem as err:
        problems.append(yamlsafe.problem_from(path, err))
        return None


@dataclass
class _Context:
    settings: DirSettings
    default_region: str | None
    configs: ConfigSet
    problems: list[Problem]


def _load_config_file(path: str, context: _Context, max_bytes: int) -> None:
    doc = _read(path, context.problems, max_bytes)
    if doc is None:
        return
    if not isinstance(doc.data, dict):
        context.problems.append(
            Problem(
                doc.location(()),
                "a config file is a mapping with a `configs:` list, not "
                f"{schema._describe(doc.data)}",
            )
        )
        return
    found = schema.check(doc, "config")
    context.problems.extend(found)
    broken = _broken_entries(found)
    if None in broken:
        return
    # The file's default region ranks below a function ARN's own region, so
    # it is not merged into entries like the settings are.
    defaults = dict(doc.data.get("defaults", {}))
    file_region = defaults.pop("region", None)
    for index, entry in enumerate(doc.data["configs"]):
        if index not in broken:
            merged = _merge(defaults, entry)
            _add_entry(doc, ("configs", index), merged, context, file_region)


def _broken_entries(problems: list[Problem]) -> set[int | None]:
    """Indices of entries with schema problems; None when the file itself is."""
    broken: set[int | None] = set()
    for problem in problems:
        parts = problem.doc_path.split(".")[0]
        if parts.startswith("configs[") and parts.endswith("]"):
            broken.add(int(parts[len("configs[") : -1]))
        else:
            broken.add(None)
    return broken


def _merge(defaults: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Defaults under an entry, leaf by leaf; the entry's own value wins."""
    merged = dict(defaults)
    for key, value in entry.items():
        # An entry's `{}` says "none here", so it replaces, not merges.
        if value and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _add_entry(
    doc: yamlsafe.Document,
    path: tuple,
    entry: dict[str, Any],
    context: _Context,
    file_region: str | None,
) -> None:
    problems: list[Problem] = []
    resolver = _EntryResolver(doc, path, entry, context.settings, problems)
    identity = resolver.identity(file_region, context.default_region)
    settings = resolver.settings(identity)
    context.problems.extend(problems)
    if identity is None or settings is None or problems:
        return
    desired = Desired(identity, settings, doc.location(path))
    configs = context.configs
    earlier = configs.desired.get(identity)
    if earlier is not None:
        context.problems.append(_duplicate(desired, earlier))
        return
    configs.desired[identity] = desired
    if resolver.arn_account and not context.settings.account:
        configs.arn_accounts[identity] = resolver.arn_account


def _duplicate(desired: Desired, earlier: Desired) -> Problem:
    identity = desired.identity
    return Problem(
        desired.location,
        f"`{identity}` in {identity.region} is declared twice: here and at "
        f"{earlier.location}; keep one of them",
    )


class _EntryResolver:
    """Works out one entry's identity and settings, noting each problem."""

    def __init__(
        self,
        doc: yamlsafe.Document,
        path: tuple,
        entry: dict[str, Any],
        settings: DirSettings,
        problems: list[Problem],
    ) -> None:
        self.doc = doc
        self.path = path
        self.entry = entry
        self.dir_settings = settings
        self.problems = problems
        self.arn_account: str | None = None

    def problem(self, key: tuple, message: str) -> None:
        where = self.path + key
        self.problems.append(
            Problem(self.doc.location(where), message, schema.dotted(where))
        )

    def identity(
        self, file_region: str | None, environment_region: str | None
    ) -> Identity | None:
        spelling = self.entry["function_name"]
        ref = names.parse_function(spelling)
        if ref is None:
            self.problem(
                ("function_name",),
                f"`{spelling}` is not a function name (letters, digits, - and _, "
                "at most 64) or a Lambda function ARN",
            )
            return None
        qualifier = self._qualifier(ref)
        region = self._region(ref, file_region, environment_region)
        account = self._account(ref)
        if qualifier is None or region is None or account is None:
            return None
        return Identity(region, account, ref.name, qualifier)

    def _qualifier(self, ref: names.FunctionRef) -> str | None:
        given = self.entry.get("qualifier")
        key = None if given is None else str(given)
        if key is not None and ref.qualifier is not None and key != ref.qualifier:
            self.problem(
                ("qualifier",),
                f"qualifier `{key}` disagrees with `{ref.qualifier}` in "
                "function_name; give the qualifier once",
            )
            return None
        return key or ref.qualifier or names.LATEST

    def _region(
        self,
        ref: names.FunctionRef,
        file_region: str | None,
        environment_region: str | None,
    ) -> str | None:
        """design.md's order: the entry's, the ARN's, the file's default, the
        first managed region, the AWS environment's."""
        given = self.entry.get("region")
        if given and ref.region and given != ref.region:
            self.problem(
                ("region",),
                f"region `{given}` disagrees with `{ref.region}` in the function "
                "ARN; remove one of them",
            )
            return None
        managed = self.dir_settings.regions
        fallback = managed[0] if managed else environment_region
        region = given or ref.region or file_region or fallback
        if region is None:
            self.problem(
                ("function_name",),
                "no region: set `region`, `regions` in eic.yaml, or AWS_REGION",
            )
            return None
        if managed and region not in managed:
            self.problem(
                ("region",) if given else ("function_name",),
                f"region {region} is not one of the managed regions "
                f"({', '.join(managed)}) in eic.yaml",
            )
            return None
        return region

    def _account(self, ref: names.FunctionRef) -> str | None:
        expected = self.dir_settings.account
        if ref.account and expected and ref.account != expected:
            self.problem(
                ("function_name",),
                f"the ARN names account {ref.account}, but eic.yaml manages "
                f"account {expected}",
            )
            return None
        self.arn_account = ref.account
        return expected or CALLER

    def settings(self, identity: Identity | None) -> Settings | None:
        halves = self.entry.get("destination_config", {})
        on_success = self._destination(halves, "on_success", identity)
        on_failure = self._destination(halves, "on_failure", identity)
        return Settings(
            self.entry.get("maximum_retry_attempts"),
            self.entry.get("maximum_event_age_in_seconds"),
            on_success,
            on_failure,
        )

    def _destination(
        self, halves: dict, half: str, identity: Identity | None
    ) -> str | None:
        arn = halves.get(half, {}).get("destination")
        if arn is None:
            return None
        key = ("destination_config", half, "destination")
        parsed = names.parse_destination(arn)
        if isinstance(parsed, str):
            self.problem(key, parsed)
        elif parsed.service == "s3" and half == "on_success":
            self.problem(
                key,
                "an S3 bucket can only be a failure destination; move it to "
                "on_failure or send successes to a queue, topic, bus or function",
            )
        elif identity is not None and _is_self(parsed, identity):
            self.problem(key, "a function cannot be its own destination")
        return arn


def _is_self(arn: names.DestinationArn, identity: Identity) -> bool:
    if arn.service != "lambda":
        return False
    name = arn.resource.split(":")[1]
    return name == identity.function and arn.region == identity.region
