"""``eic apply DIR|PLANFILE``: make exactly the plan's calls.

With a directory it plans, shows the plan and asks. With a saved plan it
asks nothing (the plan was reviewed) but first checks that the plan still
holds: same declared configs, same account and regions, every target live
exactly as the plan saw it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler import live, pipeline, planfile
from reconciler.commands import plan as plan_command
from reconciler.errors import EicError
from reconciler.executor import Executor, Outcome
from reconciler.planner import Plan
from reconciler.ui import Ui

PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def run(args: argparse.Namespace, ui: Ui) -> int:
    if planfile.is_plan_file(args.target):
        return run_saved(args, ui)
    with pipeline.connected(args.target, args, ui) as workspace:
        plan = workspace.plan(
            allow_empty=args.allow_empty, preflight=not args.no_preflight
        )
        plan_command.show(plan, "text", ui)
        if not plan.changes:
            return 1 if plan.errors else 0
        pipeline.refuse_many_deletes(plan, args.max_deletes)
        if args.strict and plan.warnings:
            raise EicError(
                f"refusing to apply: {len(plan.warnings)} preflight warning(s) "
                "and --strict; nothing was changed"
            )
        confirm(plan, args.auto_approve, ui)
        outcomes, interrupted = execute(workspace, plan, ui)
    return report(outcomes, plan, ui, interrupted)


def run_saved(args: argparse.Namespace, ui: Ui) -> int:
    body = planfile.load(args.target)
    directory = body["directory"]
    if not os.path.isdir(directory):
        raise EicError(
            f"the plan was made from the configs directory `{directory}`, which "
            "is not here; run apply from the folder where plan ran"
        )
    with pipeline.connected(directory, args, ui) as workspace:
        plan = planfile.plan_from(body)
        _check_saved(args.target, body, plan, workspace)
        plan_command.show(plan, "text", ui)
        pipeline.refuse_many_deletes(plan, args.max_deletes)
        outcomes, interrupted = execute(workspace, plan, ui)
    return report(outcomes, plan, ui, interrupted)


def _check_saved(
    path: str, body: dict, plan: Plan, workspace: pipeline.Workspace
) -> None:
    """Every check before the first write; any failure changes nothing."""
    if body["account"] != workspace.account:
        raise planfile.StalePlan(
            f"refusing {path}: it was made for account {body['account']}, but "
            f"the credentials are for account {workspace.account}; nothing was "
            "changed"
        )
    if tuple(body["regions"]) != workspace.regions:
        raise planfile.StalePlan(
            f"refusing {path}: it was made for regions {body['regions']}, but "
            f"eic.yaml now manages {list(workspace.regions)}; make a new plan"
        )
    if body["declared_digest"] != planfile.declared_digest(workspace.configs):
        raise planfile.StalePlan(
            f"refusing {path}: the configs in {body['directory']} changed since "
            "the plan was made; nothing was changed. Make a new plan"
        )
    planfile.check_follows(plan, workspace.configs)
    targets = [change.identity for change in plan.changes]
    for region in {t.region for t in targets} - set(workspace.apis):
        workspace.add_region(region)
    found = live.read_targets(targets, workspace.apis, workspace.pool)
    planfile.check_fresh(
        plan, {i: (c.settings, c.last_modified) for i, c in found.items()}
    )


def confirm(plan: Plan, auto_approve: bool, ui: Ui) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise EicError(
            "refusing to apply: there is no terminal to ask for approval. "
            "Review the plan above, then run again with --auto-approve"
        )
    ui.print(f"\nApply these {len(plan.changes)} changes? Only 'yes' is accepted.")
    try:
        answer = input("Enter a value: ").strip()
    except EOFError:  # Ctrl-D
        answer = ""
    if answer != "yes":
        raise EicError("apply cancelled; nothing was changed")


EXIT_INTERRUPTED = 130


def execute(
    workspace: pipeline.Workspace, plan: Plan, ui: Ui
) -> tuple[list[Outcome], bool]:
    """The outcome of each change, and whether the user interrupted."""
    progress = ui.progress("applying")
    executor = Executor(workspace.apis, workspace.pool, progress)
    with _graceful_stop(executor, ui):
        outcomes = executor.run(plan)
    return outcomes, executor.stop.is_set()


@contextmanager
def _graceful_stop(executor: Executor, ui: Ui) -> Iterator[None]:
    """First Ctrl-C or SIGTERM: start no new call, let calls in flight finish.

    A second one quits at once: the user has decided not to wait.
    """

    def stop(signum: int, _frame: object) -> None:
        if executor.stop.is_set():
            os._exit(EXIT_INTERRUPTED)
        executor.stop.set()
        ui.error(
            "eic: interrupted; finishing the calls in flight and starting no "
            "new ones (interrupt again to quit now)."
        )

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return
    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def report(
    outcomes: list[Outcome], plan: Plan, ui: Ui, interrupted: bool = False
) -> int:
    skipped = [o for o in outcomes if o.skipped]
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        change = outcome.change
        where = f" (declared at {change.location})" if change.location else ""
        ui.error(
            f"error: {change.call} of {change.identity} in "
            f"{change.identity.region}{where} failed: {outcome.error}"
        )
    done = [o.change for o in outcomes if o.ok]
    counts = ", ".join(
        f"{sum(1 for c in done if c.action == action)} {word}"
        for action, word in PAST.items()
    )
    if skipped or interrupted:
        ui.print(
            f"Apply interrupted: {counts}; {len(failed)} failed, {len(skipped)} "
            "not started. Run apply again (with a new plan, if you saved one): "
            "only the remaining calls will be made."
        )
        return EXIT_INTERRUPTED
    if failed or plan.errors:
        ui.print(
            f"Apply incomplete: {counts}; {len(failed)} failed, "
            f"{len(plan.errors)} not planned. Fix the errors above and run "
            "again: only the remaining calls will be made."
        )
        return 1
    ui.print(f"Apply complete: {counts}.")
    return 0
