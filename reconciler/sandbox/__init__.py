"""``eic sandbox``: a local Lambda endpoint whose async-config API is right.

A moto server on loopback with a WSGI application in front of it (``app``).
The async-config API (``asyncapi``) is answered by the sandbox itself, with
configs in its own store (``store``), because stock moto keeps one list per
function and ignores the qualifier. Functions, versions, aliases, roles and
destinations stay in moto; ``lambdas`` is the one module that asks moto
about them. Destinations are checked as AWS checks them (``destinations``,
``iampolicy``). A world file (``world``, ``seeding``) sets up the starting
state; ``/_eic/...`` is the admin API that tests drive (``app``). How
requests are answered (latency, Lambda's rate quota, injected faults, the
IAM propagation window) is in ``settings``: flags set it at start-up, and
POST /_eic/settings changes it while the sandbox runs.

moto reads the account from MOTO_ACCOUNT_ID, so this module sets it before
anything imports moto; that is why moto-dependent modules load inside run().
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from collections.abc import Mapping
from typing import Any

from .errors import WorldError
from .flags import FlagError, add_behaviour_arguments, settings_from
from .settings import Settings
from .world import check_world, read_world_file

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_PORT = 5005
_LOOPBACK_NAMES = {"localhost"}


class StartupError(Exception):
    """Why the sandbox cannot start; shown as one line on stderr."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument("--world", metavar="FILE", help="world file to start from")
    parser.add_argument(
        "--account",
        help=f"account to serve (default: the world's, else {DEFAULT_ACCOUNT})",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not a loopback address",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="stop when stdin closes (for test harnesses that may die)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log every request to stderr"
    )
    add_behaviour_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        world, account, settings = _startup(args)
    except (StartupError, WorldError) as error:
        print(f"eic sandbox: {error}", file=sys.stderr)
        return 1
    try:
        sock = _listen(args.host, args.port)
    except OSError as error:
        where = f"{args.host}:{args.port}"
        print(
            f"eic sandbox: cannot listen on {where}: {error.strerror}", file=sys.stderr
        )
        return 1
    # moto decides the account from this variable: set it before importing.
    os.environ["MOTO_ACCOUNT_ID"] = account
    from .server import build, serve, summary_line

    sandbox = build(sock, account, verbose=args.verbose, settings=settings)
    print(f"eic sandbox listening on {sandbox.url}", flush=True)
    if world is not None:
        try:
            summary = sandbox.app.load_world(world)
        except WorldError as error:
            sandbox.server.server_close()
            print(f"eic sandbox: {error}", file=sys.stderr)
            return 1
        print(f"  world {args.world}: {summary_line(summary)}")
    print(_hint(sandbox.url, account), flush=True)
    return serve(sandbox, args.stop_on_stdin_eof)


def _startup(
    args: argparse.Namespace,
) -> tuple[Mapping[str, Any] | None, str, Settings]:
    if not args.allow_remote and not _is_loopback(args.host):
        raise StartupError(
            f"refusing to listen on {args.host}, which is not a loopback address; "
            "pass --allow-remote to expose the sandbox beyond this machine"
        )
    if not 0 <= args.port <= 65535:
        raise StartupError(f"--port {args.port} is not a TCP port (0 to 65535)")
    try:
        settings = settings_from(args)
    except FlagError as error:
        raise StartupError(str(error)) from error
    world = read_world_file(args.world) if args.world else None
    account = _account(args.account, world)
    if world is not None:
        check_world(world, account)
    return world, account, settings


def _account(flag: str | None, world: Mapping[str, Any] | None) -> str:
    from_world = world.get("account") if world else None
    if flag and from_world and flag != from_world:
        raise StartupError(
            f"--account {flag} differs from the world file's account {from_world}"
        )
    account = str(flag or from_world or DEFAULT_ACCOUNT)
    if not (account.isdigit() and len(account) == 12):
        raise StartupError(f"account {account!r} is not a 12-digit AWS account id")
    return account


def _listen(host: str, port: int) -> socket.socket:
    """Bind first, so that a busy port is our error message, not werkzeug's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hint(url: str, account: str) -> str:
    return (
        f"  account {account}; point AWS clients at it with:\n"
        f"    export AWS_ENDPOINT_URL={url}\n"
        "    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing\n"
        "    export AWS_DEFAULT_REGION=eu-west-1\n"
        f"  load a world: curl --data-binary @world.yaml {url}/_eic/world\n"
        "  stop with Ctrl-C"
    )
