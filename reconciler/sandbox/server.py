"""Serving the sandbox: the socket, the threads, and stopping cleanly."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .settings import Settings

_POLL = 0.1  # seconds; how quickly a stop request is noticed


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug logs every request to stderr; the sandbox stays quiet."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class Sandbox:
    """A listening sandbox: its app (for seeding) and its HTTP server."""

    app: SandboxApp
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        host, port = str(self.server.host), self.server.port
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"


def build(
    sock: socket.socket,
    account: str,
    verbose: bool = False,
    settings: Settings | None = None,
) -> Sandbox:
    # Invoke would otherwise try to start Docker containers.
    default_user_config["lambda"]["use_docker"] = False
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = SandboxApp(account, moto_app, settings)
    host, port = sock.getsockname()[:2]
    handler = WSGIRequestHandler if verbose else _QuietHandler
    server = make_server(
        host, port, app, threaded=True, request_handler=handler, fd=sock.fileno()
    )
    sock.close()  # the server holds its own duplicate of the descriptor
    return Sandbox(app, server)


def serve(sandbox: Sandbox, stop_on_stdin_eof: bool) -> int:
    """Serve until SIGINT (130), SIGTERM or end of stdin (0)."""
    stopped = threading.Event()
    outcome = {"code": 0}

    def stop(signum: int, _: Any) -> None:
        outcome["code"] = 130 if signum == signal.SIGINT else 0
        stopped.set()

    _install(stop)
    serving = threading.Thread(
        target=sandbox.server.serve_forever, kwargs={"poll_interval": _POLL}
    )
    serving.daemon = True
    serving.start()
    if stop_on_stdin_eof:
        threading.Thread(target=_wait_for_eof, args=(stopped,), daemon=True).start()
    # Waiting in short slices keeps the main thread responsive to signals.
    while not stopped.wait(_POLL):
        pass
    sandbox.server.shutdown()
    sandbox.server.server_close()
    return outcome["code"]


def _install(handler: Any) -> None:
    try:
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
    except ValueError:
        pass  # not the main thread: the caller stops the server itself


def _wait_for_eof(stopped: threading.Event) -> None:
    # A parent that dies closes our stdin; that is the signal to go too.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    stopped.set()


def summary_line(summary: Mapping[str, int]) -> str:
    parts = [f"{count} {name.replace('_', ' ')}" for name, count in summary.items()]
    return ", ".join(parts)
