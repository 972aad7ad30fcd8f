"""Read the live configs a plan needs, with the fewest calls.

The only module that reads AWS state for a plan. It makes one paginated
ListFunctionEventInvokeConfigs per function involved (declared, or owned
through ``scope``) and calls ListFunctions only to expand scope patterns
that hold wildcards. Reads run in parallel behind each region's limiter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler import names
from reconciler.aws import LambdaApi
from reconciler.loader import ConfigSet
from reconciler.model import Identity, Live, settings_from_api

log = logging.getLogger(__name__)

FunctionKey = tuple[str, str]  # (region, function name)
_WILDCARDS = set("*?[")


@dataclass
class LiveState:
    """What AWS holds for the functions involved."""

    account: str
    configs: dict[Identity, Live] = field(default_factory=dict)
    # Declared functions that do not exist.
    missing: set[FunctionKey] = field(default_factory=set)
    # Functions whose configs scope owns, with the pattern that owns them.
    owned: dict[FunctionKey, str] = field(default_factory=dict)
    # Execution roles seen while listing functions, for preflight.
    roles: dict[FunctionKey, str] = field(default_factory=dict)
    managed_regions: tuple[str, ...] = ()


def managed_regions(configs: ConfigSet, default_region: str | None) -> tuple:
    """Regions where scope applies: eic.yaml's, else the environment's."""
    if configs.settings.regions:
        return configs.settings.regions
    return (default_region,) if default_region else ()


def read_live(
    configs: ConfigSet,
    apis: dict[str, LambdaApi],
    account: str,
    regions: tuple[str, ...],
    pool: ThreadPoolExecutor,
    progress: Callable[[int, int], None] | None = None,
) -> LiveState:
    state = LiveState(account, managed_regions=regions)
    declared = {(i.region, i.function) for i in configs.desired}
    if configs.settings.scope:
        state.owned, state.roles = _owned_functions(configs, apis, regions, pool)
    functions = sorted(declared | set(state.owned))
    state.configs, absent = _read_functions(functions, apis, pool, progress)
    state.missing = absent & declared
    return state


def _read_functions(
    functions: list[FunctionKey],
    apis: dict[str, LambdaApi],
    pool: ThreadPoolExecutor,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[Identity, Live], set[FunctionKey]]:
    """Every config of ``functions`` (one List each, in parallel), and the
    functions that do not exist."""
    reads = pool.map(lambda key: apis[key[0]].configs_of(key[1]), functions)
    found: dict[Identity, Live] = {}
    absent: set[FunctionKey] = set()
    for done, (key, items) in enumerate(zip(functions, reads), start=1):
        if progress:
            progress(done, len(functions))
        if items is None:
            absent.add(key)
        for item in items or []:
            config = live_config(key[0], item)
            found[config.identity] = config
    return found, absent


def _owned_functions(
    configs: ConfigSet,
    apis: dict[str, LambdaApi],
    regions: tuple[str, ...],
    pool: ThreadPoolExecutor,
) -> tuple[dict[FunctionKey, str], dict[FunctionKey, str]]:
    """Owned functions with their scope pattern, and the roles seen listing."""
    settings = configs.settings
    if not any(_WILDCARDS & set(p) for p in settings.scope):
        # Literal names need no listing: a missing one simply lists nothing.
        owned = {(r, name): name for r in regions for name in settings.scope}
        return owned, {}
    owned, roles = {}, {}
    listings = pool.map(lambda r: apis[r].functions(), regions)
    for region, functions in zip(regions, listings):
        for name, role in functions.items():
            roles[(region, name)] = role
            pattern = settings.owns(name)
            if pattern:
                owned[(region, name)] = pattern
    return owned, roles


def live_config(region: str, item: dict) -> Live:
    # FunctionArn is always qualified: arn:aws:lambda:R:ACCOUNT:function:NAME:Q
    arn_parts = item["FunctionArn"].split(":")
    account, name = arn_parts[4], arn_parts[6]
    qualifier = arn_parts[7] if len(arn_parts) > 7 else names.LATEST
    identity = Identity(region, account, name, qualifier)
    return Live(identity, settings_from_api(item), item.get("LastModified"))


def read_targets(
    targets: list[Identity], apis: dict[str, LambdaApi], pool: ThreadPoolExecutor
) -> dict[Identity, Live]:
    """Live configs of the functions behind ``targets``: one List each."""
    functions = sorted({(t.region, t.function) for t in targets})
    return _read_functions(functions, apis, pool)[0]
