"""``eic validate DIR``: check every file, read no AWS state."""

from __future__ import annotations

import argparse

from reconciler import pipeline
from reconciler.ui import Ui


def run(args: argparse.Namespace, ui: Ui) -> int:
    configs = pipeline.load(args.directory, pipeline.options_from(args))
    ui.print(
        f"{args.directory}: {len(configs.desired)} configs in {configs.files} "
        "files are valid."
    )
    return 0
