"""``eic export``: write the live configs of an account as a configs directory.

The directory is minimal (no setting restated at its default, ``$LATEST``
left implicit, the default region left out) and stable (sorted), so that
``eic plan`` of it against the same account says ``No changes.`` and a
second export writes the same bytes.
"""

from __future__ import annotations

import argparse
import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from reconciler import aws, loader, names
from reconciler.errors import EicError
from reconciler.live import live_config
from reconciler.model import DEFAULT_MAX_AGE, DEFAULT_RETRIES, Live
from reconciler.pipeline import options_from
from reconciler.schema import SCHEMA_DIR
from reconciler.ui import Ui


def run(args: argparse.Namespace, ui: Ui) -> int:
    options = options_from(args)
    connection = aws.Connection(
        endpoint_url=options.endpoint_url,
        rate_limit=options.rate_limit,
        max_workers=options.max_workers,
    )
    regions = tuple(args.region or [loader.environment_region() or ""])
    if not all(regions):
        raise EicError("no region: pass --region or set AWS_REGION")
    for region in regions:
        if not _REGION.match(region):
            raise EicError(f"`{region}` is not an AWS region name like eu-west-1")
    patterns = args.function or ["*"]
    account = aws.caller_account(connection, regions[0])
    with ThreadPoolExecutor(max_workers=options.max_workers) as pool:
        found = _read(connection, regions, patterns, pool)
    files = render_directory(found, regions, account, Path(args.out))
    _write(files, args.force)
    functions = len({(c.identity.region, c.identity.function) for c in found})
    ui.print(
        f"Exported {len(found)} configs of {functions} functions to {args.out}. "
        f"Check with `eic plan {args.out}`."
    )
    return 0


_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")


def _read(
    connection: aws.Connection,
    regions: tuple[str, ...],
    patterns: list[str],
    pool: ThreadPoolExecutor,
) -> list[Live]:
    apis = {region: aws.LambdaApi(connection, region) for region in regions}
    listings = pool.map(lambda r: list(apis[r].functions()), regions)
    targets = [
        (region, name)
        for region, function_names in zip(regions, listings)
        for name in function_names
        if any(fnmatchcase(name, p) for p in patterns)
    ]
    reads = pool.map(lambda t: apis[t[0]].configs_of(t[1]) or [], targets)
    return [
        live_config(region, item)
        for (region, _), items in zip(targets, reads)
        for item in items
    ]


def render_directory(
    found: list[Live], regions: tuple[str, ...], account: str, out: Path
) -> dict[Path, str]:
    """File path -> text for the whole exported directory."""
    by_function: dict[str, list[Live]] = defaultdict(list)
    for config in found:
        by_function[config.identity.function].append(config)
    settings = _settings_text(sorted(by_function), regions, account, out)
    files = {out / "eic.yaml": settings}
    for function, configs in sorted(by_function.items()):
        entries = [_entry(c, regions[0]) for c in sorted(configs, key=_order)]
        files[out / _file_name(function)] = _config_text(entries, out)
    return files


def _file_name(function: str) -> str:
    # A function called `eic` must not overwrite eic.yaml; no function name
    # holds a dot, so this name is free.
    return "eic.function.yaml" if function == "eic" else f"{function}.yaml"


def _order(config: Live) -> tuple:
    """$LATEST first, then versions by number, then aliases by name."""
    identity = config.identity
    qualifier = identity.qualifier
    if qualifier == names.LATEST:
        rank: tuple = (0, 0, "")
    elif qualifier.isdigit():
        rank = (1, int(qualifier), "")
    else:
        rank = (2, 0, qualifier)
    return (identity.region, rank)


def _entry(config: Live, default_region: str) -> dict[str, Any]:
    identity, settings = config.identity, config.settings
    entry: dict[str, Any] = {"function_name": identity.function}
    if identity.qualifier != names.LATEST:
        qualifier = identity.qualifier
        entry["qualifier"] = int(qualifier) if qualifier.isdigit() else qualifier
    if identity.region != default_region:
        entry["region"] = identity.region
    retries = settings.maximum_retry_attempts
    if retries is not None and retries != DEFAULT_RETRIES:
        entry["maximum_retry_attempts"] = retries
    age = settings.maximum_event_age_in_seconds
    if age is not None and age != DEFAULT_MAX_AGE:
        entry["maximum_event_age_in_seconds"] = age
    pairs = (("on_success", settings.on_success), ("on_failure", settings.on_failure))
    halves = {half: {"destination": arn} for half, arn in pairs if arn}
    if halves:
        entry["destination_config"] = halves
    return entry


def _modeline(out: Path, schema: str) -> str:
    target = os.path.relpath(SCHEMA_DIR / schema, out.resolve())
    return f"# yaml-language-server: $schema={target}\n"


def _settings_text(
    functions: list[str], regions: tuple[str, ...], account: str, out: Path
) -> str:
    settings = {
        "regions": list(regions),
        "account": account,
        "scope": functions,
    }
    return (
        _modeline(out, "settings.schema.json")
        + "# Written by `eic export`. `scope` owns exactly the exported functions:\n"
        + "# a config on one of them that no file declares is deleted on apply.\n"
        + _dump(settings)
    )


def _config_text(entries: list[dict[str, Any]], out: Path) -> str:
    return _modeline(out, "config.schema.json") + _dump({"configs": entries})


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any) -> str:
    text = yaml.dump(
        data,
        Dumper=_IndentedDumper,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    # Keep the account a quoted string: unquoted it would read as an integer.
    return re.sub(r"^account: '(\d{12})'$", r'account: "\1"', text, flags=re.M)


def _write(files: dict[Path, str], force: bool) -> None:
    _refuse_leftovers(files)
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise EicError(
            f"refusing to overwrite {shown}; pass --force to replace them, or "
            "choose another --out"
        )
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as err:
            raise EicError(f"cannot write {path}: {err.strerror}") from err


def _refuse_leftovers(files: dict[Path, str]) -> None:
    """Config files in the way that this export would not replace.

    They would go on declaring configs beside the new `scope`, so the
    exported directory would no longer say what is live.
    """
    out = next(iter(files)).parent
    if not out.is_dir():
        return
    leftovers = sorted(
        str(path)
        for path in out.rglob("*")
        if path.suffix.lower() in (".yaml", ".yml") and path not in files
    )
    if leftovers:
        shown = ", ".join(leftovers[:3]) + (" ..." if len(leftovers) > 3 else "")
        raise EicError(
            f"refusing to export into {out}: it holds config files this export "
            f"would not replace ({shown}); remove them or choose another --out"
        )
