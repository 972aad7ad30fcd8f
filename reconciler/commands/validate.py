"""``eic validate DIR``: check every file, read no AWS state."""

from __future__ import annotations

import argparse

from reconciler import loader
from reconciler.ui import Ui, plural


def run(args: argparse.Namespace, ui: Ui) -> int:
    configs = loader.load_directory(
        args.directory,
        loader.environment_region(),
        max_bytes=args.max_file_size or loader.yamlsafe.DEFAULT_MAX_BYTES,
    )
    configs_text = plural(len(configs.desired), "config")
    files_text = plural(configs.files, "file")
    ui.print(f"{args.directory}: {configs_text} in {files_text}, all valid.")
    return 0
