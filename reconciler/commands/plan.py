"""``eic plan DIR``: show what apply would change; reads, never writes."""

from __future__ import annotations

import argparse

from reconciler import pipeline, render
from reconciler.planner import Plan
from reconciler.ui import Ui

EXIT_CHANGES = 2


def run(args: argparse.Namespace, ui: Ui) -> int:
    options = pipeline.options_from(args)
    configs = pipeline.load(args.directory, options)
    workspace = pipeline.Workspace(configs, options, ui)
    try:
        workspace.connect()
        plan = workspace.plan()
    finally:
        workspace.close()
    show(plan, args.output, ui)
    if plan.errors:
        return 1
    if args.detailed_exitcode and plan.changes:
        return EXIT_CHANGES
    return 0


def show(plan: Plan, output: str, ui: Ui) -> None:
    """Print ``plan`` in the chosen form; target errors also go to stderr."""
    if output == "json":
        ui.print(render.json_text(plan))
    elif output == "markdown":
        ui.print(render.markdown(plan))
    else:
        ui.print(render.text(plan, colour=ui.colour))
    for error in plan.errors:
        ui.error(f"error: {error.location}: {error.message}")
