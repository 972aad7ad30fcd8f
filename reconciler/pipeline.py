"""The stages shared by ``plan`` and ``apply``: load, connect, read, plan.

``plan`` renders the ``Plan`` this builds; ``apply`` executes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace

from reconciler import aws, live, loader, planner
from reconciler.errors import EicError
from reconciler.loader import ConfigSet
from reconciler.preflight import Preflight
from reconciler.ui import Ui, plural


@dataclass
class Options:
    """What every AWS-touching command takes from the command line."""

    endpoint_url: str | None = None
    rate_limit: float | None = None
    max_workers: int = 16
    max_file_size: int = loader.yamlsafe.DEFAULT_MAX_BYTES
    propagation_timeout: float = aws.PROPAGATION_SECONDS


class Workspace:
    """One run against one account: clients, a thread pool and the configs."""

    def __init__(self, configs: ConfigSet, options: Options, ui: Ui) -> None:
        self.configs = configs
        self.ui = ui
        self.default_region = configs.default_region
        self.connection = aws.Connection(
            endpoint_url=options.endpoint_url,
            rate_limit=options.rate_limit or configs.settings.rate_limit,
            max_workers=options.max_workers,
            propagation_timeout=options.propagation_timeout,
        )
        self.pool = ThreadPoolExecutor(max_workers=options.max_workers)
        self.account = ""
        self.regions: tuple[str, ...] = ()
        self.apis: dict[str, aws.LambdaApi] = {}

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def connect(self) -> None:
        """Learn the caller's account, guard it, and make regional clients."""
        first_region = next(iter(self.configs.settings.regions), None)
        region = first_region or self.default_region
        self.account = aws.caller_account(self.connection, region)
        expected = self.configs.settings.account
        if expected and expected != self.account:
            raise EicError(
                f"the credentials are for account {self.account}, but eic.yaml "
                f"manages account {expected}; nothing was read or changed. Use "
                "credentials for that account, or fix `account` in eic.yaml"
            )
        self.configs.bind_account(self.account)
        managed = live.managed_regions(self.configs, self.default_region)
        declared = {identity.region for identity in self.configs.desired}
        self.regions = tuple(managed)
        for region in sorted(set(managed) | declared):
            self.add_region(region)

    def add_region(self, region: str) -> None:
        self.apis[region] = aws.LambdaApi(self.connection, region)

    def plan(self, allow_empty: bool = False, preflight: bool = True) -> planner.Plan:
        progress = self.ui.progress("reading live configs")
        state = live.read_live(
            self.configs, self.apis, self.account, self.regions, self.pool, progress
        )
        plan = planner.make_plan(self.configs, state)
        if not allow_empty:
            refuse_emptying(self.configs, plan)
        if preflight and plan.changes:
            check = Preflight(self.connection, self.apis, self.pool, state.roles)
            plan = replace(plan, warnings=tuple(check.check(plan.changes)))
        return plan


def refuse_emptying(configs: ConfigSet, plan: planner.Plan) -> None:
    """A directory that declares nothing must not wipe what scope owns.

    That is what a wrong path or an emptied folder looks like; a user who
    means it says --allow-empty.
    """
    deletes = plan.count("delete")
    if configs.desired or not deletes:
        return
    raise EicError(
        f"refusing: the directory declares no configs, so the plan would "
        f"delete every config that `scope` owns ({plural(deletes, 'config')}). "
        "Check the path; if removing them all is what you want, pass "
        "--allow-empty"
    )


def refuse_many_deletes(plan: planner.Plan, max_deletes: int | None) -> None:
    deletes = plan.count("delete")
    if max_deletes is None or deletes <= max_deletes:
        return
    raise EicError(
        f"refusing to apply: the plan deletes {deletes} configs, more than "
        f"--max-deletes {max_deletes}; nothing was changed. Review the deletes "
        "above, then raise --max-deletes (or protect configs in eic.yaml)"
    )


@contextmanager
def connected(directory: str, args: object, ui: Ui) -> Iterator[Workspace]:
    """Load ``directory`` and connect to its account, for one command."""
    options = options_from(args)
    workspace = Workspace(load(directory, options), options, ui)
    try:
        workspace.connect()
        yield workspace
    finally:
        workspace.close()


def load(directory: str, options: Options) -> ConfigSet:
    return loader.load_directory(
        directory, loader.environment_region(), max_bytes=options.max_file_size
    )


def options_from(args: object) -> Options:
    """``Options`` from parsed arguments; flags a command lacks keep defaults."""
    defaults = Options()
    return Options(
        endpoint_url=getattr(args, "endpoint_url", None),
        rate_limit=getattr(args, "rate_limit", None),
        max_workers=getattr(args, "max_workers", None) or defaults.max_workers,
        max_file_size=getattr(args, "max_file_size", None)
        or defaults.max_file_size,
        propagation_timeout=_given(
            getattr(args, "propagation_timeout", None), defaults.propagation_timeout
        ),
    )


def _given(value: float | None, default: float) -> float:
    return default if value is None else value
