"""``eic sandbox`` flags for the knobs of ``settings``.

Each flag sets the setting of the same name (``--fault`` sets ``faults``,
``--fault-operation`` ``fault_operations``); the values are checked by
``Settings.updated``, as a POST /_eic/settings would be.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from .settings import FAULT_KINDS, Settings, SettingsError


class FlagError(ValueError):
    """A flag value the sandbox refuses; the message names the flag."""


def add_behaviour_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "how requests are answered",
        "The same knobs as POST /_eic/settings; DELETE /_eic/settings goes back "
        "to the values given here.",
    )
    group.add_argument(
        "--latency-ms", type=int, metavar="MS", help="delay added to every answer"
    )
    group.add_argument(
        "--rate-limit",
        type=float,
        metavar="PER_SECOND",
        help="Lambda requests per second per account and region, beyond which "
        "the answer is 429 TooManyRequestsException (AWS allows 15; 0: no limit)",
    )
    kinds = "|".join(FAULT_KINDS)
    group.add_argument(
        "--fault",
        action="append",
        type=_fault,
        metavar=f"{{{kinds}}}=RATE",
        help="chance from 0 to 1 of a fault per AWS request; repeatable",
    )
    group.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="seed of the fault draws; the same seed repeats a run (default: 0)",
    )
    group.add_argument(
        "--slow-ms",
        type=int,
        metavar="MS",
        help="delay of a slow fault (default: 2000)",
    )
    group.add_argument(
        "--fault-operation",
        action="append",
        metavar="OPERATION",
        help="fault only this operation (repeatable; default: all but "
        "GetCallerIdentity)",
    )
    group.add_argument(
        "--fail-next",
        action="append",
        metavar="OPERATION:CODE[:COUNT]",
        help="fail the next COUNT (1) requests of OPERATION with CODE "
        "(TooManyRequestsException, ServiceException, ResourceConflictException "
        "or drop); repeatable, used in order",
    )
    group.add_argument(
        "--propagation-seconds",
        type=float,
        metavar="SECONDS",
        help="refuse a config naming a destination younger than this, as AWS "
        "does while IAM propagates",
    )


def _fault(text: str) -> tuple[str, float]:
    kind, equals, rate = text.partition("=")
    try:
        if equals:
            return kind, float(rate)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not KIND=RATE, e.g. drop=0.05")


_SIMPLE_FLAGS = (
    "latency_ms",
    "rate_limit",
    "fault_seed",
    "slow_ms",
    "propagation_seconds",
)
_LIST_FLAGS = {
    "faults": "--fault",
    "fault_operations": "--fault-operation",
    "fail_next": "--fail-next",
}


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings the flags ask for; FlagError names the flag at fault."""
    changes: dict[str, Any] = {
        key: getattr(args, key)
        for key in _SIMPLE_FLAGS
        if getattr(args, key) is not None
    }
    if args.fault:
        changes["faults"] = dict(args.fault)
    if args.fault_operation:
        changes["fault_operations"] = list(args.fault_operation)
    if args.fail_next:
        # Passed as spelled: the setting parses OPERATION:CODE[:COUNT] itself.
        changes["fail_next"] = list(args.fail_next)
    try:
        return Settings().updated(changes)
    except SettingsError as error:
        setting = re.split(r"[.\[]", error.key, maxsplit=1)[0]
        flag = _LIST_FLAGS.get(setting, "--" + setting.replace("_", "-"))
        raise FlagError(f"{flag} ({error.key}): {error.reason}") from error
