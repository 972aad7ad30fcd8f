"""Command line: parse arguments, run one subcommand, map failures to exit codes.

Exit codes: 0 success (and "no changes"); 1 any error, invalid input and
usage errors included; 2 only from ``plan --detailed-exitcode`` with changes;
130 when interrupted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from reconciler.errors import EicError, InputError
from reconciler.ui import Ui, annotate

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
Command = Callable[[argparse.Namespace, Ui], int]


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 1 as design.md asks, not 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"eic: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eic",
        description="Keep AWS Lambda async-invocation configs in git and make "
        "accounts match them.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    _add_validate(commands)
    _add_plan(commands)
    _add_apply(commands)
    _add_export(commands)
    _add_iam_policy(commands)
    _add_sandbox(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"eic {version('eic')}"
    except PackageNotFoundError:
        return "eic (not installed)"


def _common(sub: argparse.ArgumentParser, aws: bool = True) -> None:
    sub.add_argument("--debug", action="store_true", help="log details and tracebacks")
    sub.add_argument(
        "--max-file-size",
        type=_positive_int,
        metavar="BYTES",
        help="largest config file read (default 10 MiB)",
    )
    if not aws:
        return
    sub.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="Lambda endpoint (default: AWS_ENDPOINT_URL, else AWS)",
    )
    sub.add_argument(
        "--rate-limit",
        type=_positive_float,
        metavar="N",
        help="most requests per second per region (default 15 for AWS, "
        "unlimited for a loopback endpoint; eic.yaml: rate_limit)",
    )
    sub.add_argument(
        "--max-workers", type=_positive_int, metavar="N", help="parallel requests"
    )
    sub.add_argument(
        "--propagation-timeout",
        type=_non_negative_float,
        metavar="SECONDS",
        help="how long to retry AWS's IAM-propagation answers on a write "
        "(default 120)",
    )


def _add_validate(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser("validate", help="check config files; no AWS access")
    sub.add_argument("directory", metavar="DIR")
    _common(sub, aws=False)
    sub.set_defaults(run=_validate)


def _add_plan(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser("plan", help="show what apply would change")
    sub.add_argument("directory", metavar="DIR")
    sub.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when none",
    )
    sub.add_argument(
        "--output", choices=("text", "json", "markdown"), default="text"
    )
    sub.add_argument(
        "--out", metavar="PLANFILE", help="save the plan for `eic apply PLANFILE`"
    )
    _allow_empty(sub)
    _common(sub)
    sub.set_defaults(run=_plan)


def _add_apply(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "apply", help="make the account match DIR, or apply a saved plan"
    )
    sub.add_argument("target", metavar="DIR|PLANFILE")
    sub.add_argument(
        "--auto-approve",
        action="store_true",
        help="apply without asking (a saved plan never asks)",
    )
    sub.add_argument(
        "--max-deletes",
        type=_non_negative_int,
        metavar="N",
        help="stop before any write if the plan deletes more than N configs",
    )
    _allow_empty(sub)
    _common(sub)
    sub.set_defaults(run=_apply)


def _add_export(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "export", help="write live configs as a configs directory"
    )
    sub.add_argument(
        "--region", action="append", metavar="R", help="region to read (repeat)"
    )
    sub.add_argument(
        "--function",
        action="append",
        metavar="PATTERN",
        help="shell-style pattern on function names (repeat; default all)",
    )
    sub.add_argument("--out", default="configs", metavar="DIR")
    sub.add_argument("--force", action="store_true", help="overwrite files in DIR")
    _common(sub)
    sub.set_defaults(run=_export)


def _add_iam_policy(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "iam-policy", help="print the least IAM policy eic needs for DIR"
    )
    sub.add_argument("directory", metavar="DIR")
    sub.add_argument("--mode", choices=("plan", "apply"), default="apply")
    sub.add_argument(
        "--account", help="account for the ARNs when eic.yaml names none"
    )
    sub.add_argument(
        "--no-preflight",
        action="store_true",
        help="leave out the reads of plan's preflight checks",
    )
    _common(sub, aws=False)
    sub.set_defaults(run=_iam_policy)


def _allow_empty(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--allow-empty",
        action="store_true",
        help="let a directory that declares nothing delete every owned config",
    )
    sub.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip the read-only checks of destinations, roles and aliases",
    )
    sub.add_argument(
        "--strict", action="store_true", help="treat preflight warnings as errors"
    )


def _add_sandbox(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser("sandbox", help="run a local Lambda endpoint")
    sub.add_argument("--debug", action="store_true")
    sub.set_defaults(run=_run_sandbox)
    # Importing the sandbox package is cheap; moto loads only when it runs.
    from reconciler import sandbox

    if hasattr(sandbox, "add_arguments"):
        sandbox.add_arguments(sub)


# Commands import their modules when they run: `validate` should not pay for
# boto3 and deepdiff, which it never uses.
def _validate(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler.commands import validate

    return validate.run(args, ui)


def _plan(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler.commands import plan

    return plan.run(args, ui)


def _apply(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler.commands import apply

    return apply.run(args, ui)


def _export(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler.commands import export

    return export.run(args, ui)


def _iam_policy(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler.commands import iam_policy

    return iam_policy.run(args, ui)


def _run_sandbox(args: argparse.Namespace, ui: Ui) -> int:
    from reconciler import sandbox

    try:
        return sandbox.run(args)
    except ModuleNotFoundError as err:
        raise EicError(
            f"the sandbox needs moto ({err}): pip install 'eic[sandbox]'"
        ) from err


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def main(argv: Sequence[str] | None = None, ui: Ui | None = None) -> int:
    """Run eic; returns the exit code instead of exiting."""
    ui = ui or Ui()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 1
    _configure_logging(args.debug)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    return _run(args.run, args, ui)


def _terminate(_signum: int, _frame: object) -> None:
    # SIGTERM (a cancelled CI job) ends eic the way Ctrl-C does: exit 130.
    raise KeyboardInterrupt


def _run(command: Command, args: argparse.Namespace, ui: Ui) -> int:
    try:
        return command(args, ui)
    except InputError as err:
        for problem in err.problems:
            ui.error(str(problem))
            annotate(problem.location, problem.message, ui)
        ui.error(f"eic: {len(err.problems)} problem(s) found; nothing was changed.")
        return EXIT_ERROR
    except EicError as err:
        ui.error(f"eic: {err}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        ui.error("eic: interrupted.")
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug: say so, and show the traceback on --debug
        if args.debug:
            raise
        ui.error(
            f"eic: internal error ({type(err).__name__}: {err}). This is a bug; "
            "run again with --debug for the traceback and report it."
        )
        return EXIT_ERROR


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="[%(levelname)s] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Only eic's own loggers go to DEBUG: botocore's debug output carries
    # request headers, session tokens among them.
    logging.getLogger("reconciler").setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("botocore").setLevel(logging.ERROR)


def entry_point() -> None:
    sys.exit(main())
