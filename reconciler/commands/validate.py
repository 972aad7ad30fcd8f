"""``eic validate DIR``: check every file, read no AWS state."""

from __future__ import annotations

import argparse

from reconciler import loader
from reconciler.ui import Ui


def run(args: argparse.Namespace, ui: Ui) -> int:
    configs = loader.load_directory(
        args.directory,
        loader.environment_region(),
        max_bytes=args.max_file_size or loader.yamlsafe.DEFAULT_MAX_BYTES,
    )
    ui.print(
        f"{args.directory}: {len(configs.desired)} configs in {configs.files} "
        "files are valid."
    )
    return 0
