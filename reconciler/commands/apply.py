"""``eic apply DIR``: plan, ask, then make exactly the plan's calls."""

from __future__ import annotations

import argparse
import sys

from reconciler import pipeline
from reconciler.commands import plan as plan_command
from reconciler.errors import EicError
from reconciler.executor import Executor, Outcome
from reconciler.planner import Plan
from reconciler.ui import Ui

PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def run(args: argparse.Namespace, ui: Ui) -> int:
    options = pipeline.options_from(args)
    configs = pipeline.load(args.target, options)
    workspace = pipeline.Workspace(configs, options, ui)
    try:
        workspace.connect()
        plan = workspace.plan()
        plan_command.show(plan, "text", ui)
        if not plan.changes:
            return 1 if plan.errors else 0
        confirm(plan, args.auto_approve, ui)
        outcomes = execute(workspace, plan, ui)
    finally:
        workspace.close()
    return report(outcomes, plan, ui)


def confirm(plan: Plan, auto_approve: bool, ui: Ui) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise EicError(
            "refusing to apply: there is no terminal to ask for approval. "
            "Review the plan above, then run again with --auto-approve"
        )
    ui.print(f"\nApply these {len(plan.changes)} changes? Only 'yes' is accepted.")
    answer = input("Enter a value: ").strip()
    if answer != "yes":
        raise EicError("apply cancelled; nothing was changed")


def execute(workspace: pipeline.Workspace, plan: Plan, ui: Ui) -> list[Outcome]:
    progress = ui.progress("applying")
    executor = Executor(workspace.apis, workspace.pool, progress)
    return executor.run(plan)


def report(outcomes: list[Outcome], plan: Plan, ui: Ui) -> int:
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
    if failed or plan.errors:
        ui.print(
            f"Apply incomplete: {counts}; {len(failed)} failed, "
            f"{len(plan.errors)} not planned. Fix the errors above and run "
            "again: only the remaining calls will be made."
        )
        return 1
    ui.print(f"Apply complete: {counts}.")
    return 0
