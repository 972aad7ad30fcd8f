"""The WSGI application in front of moto.

Every request takes one of three ways:

- ``/_eic/...``: the admin API, never forwarded to moto and never counted:
  ``GET health``; ``GET calls`` (counts by operation name) and
  ``DELETE calls``; ``POST world`` (YAML or JSON; replaces all state, 400
  with the reasons when invalid) and ``DELETE world`` (empty);
  ``GET settings``, ``POST settings`` (a JSON object of changes) and
  ``DELETE settings`` (back to defaults).
- ``/2019-09-25/functions/{name}/event-invoke-config...``: answered by
  ``AsyncConfigApi``, because stock moto gets this API wrong.
- anything else: forwarded to moto's own WSGI app. After a successful
  DeleteFunction or DeleteAlias the configs of what was deleted go too;
  Lambda's list operations are cut into pages as AWS cuts them (``paging``).

AWS requests pass ``_answer``: counted first, then anything that shapes the
answer (added latency now; throttling and faults later), then dispatched
under one lock, so that a world load never interleaves with a request.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from . import paging
from .asyncapi import AsyncConfigApi
from .errors import ApiError, WorldError
from .lambdas import Lambdas
from .operations import CallCounter, RestOperations, operation_name, signing_scope
from .seeding import reset_all, seed
from .settings import Settings, SettingsError
from .store import ConfigStore
from .wire import admin_error, empty_response, error_response, json_response
from .world import check_world, parse_world

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ADMIN_PREFIX = "/_eic/"
MOTO_API_PREFIX = "/moto-api"  # moto's own admin API: forwarded, not counted


class SandboxApp:
    def __init__(self, account: str, moto_app: WSGIApp) -> None:
        self.account = account
        self.moto_app = moto_app
        self.store = ConfigStore()
        self.calls = CallCounter()
        self.settings = Settings()
        self.iam_checks = False
        self.api = AsyncConfigApi(self.store, Lambdas(account), lambda: self.iam_checks)
        self._rest = RestOperations()
        self._lock = threading.RLock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(ADMIN_PREFIX):
            response = self._admin(request)
        else:
            response = self._answer(request)
        return response(environ, start_response)

    def load_world(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Replace all state by the world; WorldError when it is invalid."""
        world = check_world(document, self.account)
        with self._lock:
            self.iam_checks = False
            summary = seed(world, self.store)
            self.iam_checks = world.iam_checks
        log.debug("world loaded: %s", summary)
        return summary

    def _answer(self, request: Request) -> Response:
        operation = operation_name(request, self._rest)
        if not request.path.startswith(MOTO_API_PREFIX):
            self.calls.add(operation)
        latency = self.settings.latency_ms
        if latency:
            time.sleep(latency / 1000)
        try:
            with self._lock:
                return self._dispatch(request, operation)
        except Exception:
            # A sandbox bug must look like what AWS sends for its own faults,
            # not like a werkzeug debug page a client cannot parse.
            log.exception("sandbox failed on %s %s", request.method, request.path)
            return error_response(ApiError("ServiceException", "Internal error", 500))

    def _dispatch(self, request: Request, operation: str) -> Response:
        region = signing_scope(request).region
        if self.api.operation(request.method, request.path):
            return self.api.handle(request, self.account, region)
        response = self._forward(request)
        if response.status_code < 300:
            self._after_moto(request, operation, region)
        return paging.page(operation, request, response)

    def _forward(self, request: Request) -> Response:
        # The body may have been read to find a query-protocol Action; moto
        # reads it again from the environ.
        body = request.get_data()
        request.environ["wsgi.input"] = io.BytesIO(body)
        request.environ["CONTENT_LENGTH"] = str(len(body))
        return Response.from_app(self.moto_app, request.environ, buffered=True)

    def _after_moto(self, request: Request, operation: str, region: str) -> None:
        parts = request.path.strip("/").split("/")
        if operation == "DeleteFunction" and len(parts) == 3:
            qualifier = request.args.get("Qualifier")
            self.api.forget(self.account, region, parts[2], qualifier)
        elif operation == "DeleteAlias" and len(parts) == 5:
            self.api.forget(self.account, region, parts[2], parts[4])
        elif request.path.rstrip("/") == f"{MOTO_API_PREFIX}/reset":
            self.store.clear()

    def _admin(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        handlers: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/_eic/health"): self._health,
            ("GET", "/_eic/calls"): lambda _: json_response(self.calls.snapshot()),
            ("DELETE", "/_eic/calls"): self._reset_calls,
            ("POST", "/_eic/world"): self._post_world,
            ("DELETE", "/_eic/world"): self._delete_world,
            ("GET", "/_eic/settings"): self._get_settings,
            ("POST", "/_eic/settings"): self._post_settings,
            ("DELETE", "/_eic/settings"): self._reset_settings,
        }
        handler = handlers.get(route)
        if handler is None:
            known = ", ".join(f"{m} {p}" for m, p in handlers)
            return admin_error(f"no such admin route; known: {known}", 404)
        return handler(request)

    def _health(self, _: Request) -> Response:
        return json_response({"status": "ok", "account": self.account})

    def _reset_calls(self, _: Request) -> Response:
        self.calls.reset()
        return empty_response(204)

    def _post_world(self, request: Request) -> Response:
        try:
            document = parse_world(request.get_data(as_text=True))
            return json_response(self.load_world(document))
        except WorldError as error:
            return admin_error(str(error))

    def _delete_world(self, _: Request) -> Response:
        with self._lock:
            reset_all(self.store)
            self.iam_checks = False
        return empty_response(204)

    def _get_settings(self, _: Request) -> Response:
        return json_response(self.settings.as_dict())

    def _reset_settings(self, _: Request) -> Response:
        self.settings = Settings()
        return json_response(self.settings.as_dict())

    def _post_settings(self, request: Request) -> Response:
        try:
            changes = json.loads(request.get_data() or b"{}")
            if not isinstance(changes, dict):
                raise SettingsError("settings are a JSON object")
            self.settings = self.settings.updated(changes)
        except (ValueError, SettingsError) as error:
            return admin_error(str(error))
        return json_response(self.settings.as_dict())
