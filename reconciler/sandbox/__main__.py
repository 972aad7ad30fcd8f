"""``python -m reconciler.sandbox``: the sandbox without the rest of the CLI."""

from __future__ import annotations

import argparse
import os
import sys

from . import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.sandbox",
        description="Local Lambda endpoint with a faithful async-config API.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130  # Ctrl-C before the sandbox took over SIGINT


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Tearing down an interpreter with moto loaded takes about a second and
    # has nothing left to clean up; test harnesses stop sandboxes often.
    os._exit(code)
