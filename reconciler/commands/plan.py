"""``eic plan DIR``: show what apply would change; reads, never writes."""

from __future__ import annotations

import argparse
import os

from reconciler import pipeline, planfile, render
from reconciler.errors import EicError
from reconciler.planner import Plan
from reconciler.ui import Ui, annotate

EXIT_CHANGES = 2


def run(args: argparse.Namespace, ui: Ui) -> int:
    with pipeline.connected(args.directory, args, ui) as workspace:
        plan = workspace.plan(
            allow_empty=args.allow_empty, preflight=not args.no_preflight
        )
    show(plan, args.output, ui)
    if args.out:
        if plan.errors:
            raise EicError(
                f"the plan has errors, so it was not saved to {args.out}; fix "
                "them and plan again"
            )
        planfile.save(args.out, plan, workspace.configs, args.directory)
        ui.error(f"Saved the plan to {args.out}; apply it with `eic apply {args.out}`.")
    if plan.errors:
        return 1
    if args.strict and plan.warnings:
        ui.error(f"eic: {len(plan.warnings)} preflight warning(s), and --strict.")
        return 1
    if args.detailed_exitcode and plan.changes:
        return EXIT_CHANGES
    return 0


def show(plan: Plan, output: str, ui: Ui) -> None:
    """Print ``plan`` in the chosen form; target errors also go to stderr.

    Inside GitHub Actions the Markdown form is also appended to the job
    summary, so every run leaves its plan on the run's page.
    """
    if output == "json":
        ui.print(render.json_text(plan))
    elif output == "markdown":
        ui.print(render.markdown(plan))
    else:
        ui.print(render.text(plan, colour=ui.colour))
    for error in plan.errors:
        ui.error(f"error: {error.location}: {error.message}")
        annotate(error.location, error.message, ui)
    if output != "text":
        for warning in plan.warnings:
            ui.error(f"warning: {warning}")
    _append_job_summary(plan, ui)


def _append_job_summary(plan: Plan, ui: Ui) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if os.environ.get("GITHUB_ACTIONS") != "true" or not summary:
        return
    try:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(render.markdown(plan) + "\n")
    except OSError as err:  # the plan itself is done; only the summary failed
        ui.warn(f"cannot append the plan to GITHUB_STEP_SUMMARY: {err.strerror}")
