"""The WSGI application in front of moto.

Every request takes one of three ways:

- ``/_eic/...``: the admin API, never forwarded to moto and never counted:
  ``GET health``; ``GET calls`` (counts by operation name), ``GET stats``
  (those counts, plus throttled requests and faults by kind) and
  ``DELETE calls`` (zeroes both); ``POST world`` (YAML or JSON; replaces all
  state, 400 with the reasons when invalid) and ``DELETE world`` (empty);
  ``GET settings``, ``POST settings`` (a JSON object of changes) and
  ``DELETE settings`` (back to the values the sandbox started with).
  An invalid world leaves the state as it was; a world that passes every
  check but still fails to seed (a sandbox bug) is a 500, and leaves the
  sandbox empty.
- ``/2019-09-25/functions/{name}/event-invoke-config...``: answered by
  ``AsyncConfigApi``, because stock moto gets this API wrong; so is
  iam:SimulatePrincipalPolicy (``simulate``), which moto lacks.
- anything else: forwarded to moto's own WSGI app. After a successful
  DeleteFunction or DeleteAlias the configs of what was deleted go too;
  Lambda's list operations are cut into pages as AWS cuts them (``paging``).

AWS requests pass ``_answer``: counted; then the front door decides, before
anything can change state, whether the request is signed for a region AWS
does not have (``regions``), or Lambda's rate quota (``quota``) or an
injected fault (``faults``) refuses the request; then the added latency is
slept, outside the lock so that concurrent clients wait together; only then
is the request dispatched, under one lock, so that a world load never
interleaves with a request. Whatever goes wrong inside becomes an error in
the protocol of the service asked (``protocols``), never an HTML page.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, NoReturn

from werkzeug.wrappers import Request, Response

from . import paging
from .asyncapi import AsyncConfigApi
from .errors import ApiError, WorldError, internal_error, throttled
from .faults import Faults
from .lambdas import Lambdas
from .names import function_arn, parse_function_name
from .operations import RestOperations, Scope, operation_name, signing_scope
from .propagation import Propagation, created_destination, world_destinations
from .protocols import aws_error, protocol_of
from .quota import Quota
from .regions import is_known
from .seeding import SeedingError, reset_all, seed
from .settings import Settings, SettingsError
from .simulate import simulate_principal_policy
from .stats import Stats
from .store import ConfigStore
from .wire import admin_error, empty_response, json_response
from .world import check_world, parse_world

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ADMIN_PREFIX = "/_eic/"
MOTO_API_PREFIX = "/moto-api"  # moto's own admin API: forwarded, not counted
# An injected throttle is not tied to a budget; a short wait keeps runs fast.
FAULT_RETRY_AFTER = 0.1
_FUNCTION_PATH = "/functions/"


class Dropped(Exception):
    """The request gets no HTTP answer at all: its connection is closed."""


class SandboxApp:
    def __init__(
        self, account: str, moto_app: WSGIApp, settings: Settings | None = None
    ) -> None:
        self.account = account
        self.moto_app = moto_app
        self.store = ConfigStore()
        self.stats = Stats()
        self.propagation = Propagation()
        self.iam_checks = False
        self.lambdas = Lambdas(account)
        self.api = AsyncConfigApi(
            self.store, self.lambdas, lambda: self.iam_checks, self._propagating
        )
        self._rest = RestOperations()
        self._lock = threading.RLock()
        self._initial = settings or Settings()
        self._apply(self._initial)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(ADMIN_PREFIX):
            response = self._admin(request)
        else:
            try:
                response = self._answer(request)
            except Dropped:
                _close_without_answer(request)
        return response(environ, start_response)

    def load_world(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Replace all state by the world; WorldError when it is invalid."""
        world = check_world(document, self.account)
        with self._lock:
            try:
                summary = seed(world, self.store)
            except SeedingError:
                self.iam_checks = False  # the sandbox is empty now
                self.propagation.reset()
                raise
            self.iam_checks = world.iam_checks
            self.propagation.reset(world_destinations(world))
        log.debug("world loaded: %s", summary)
        return summary

    def _apply(self, settings: Settings) -> None:
        # A change starts afresh: full buckets, the fault sequence reseeded.
        self.settings = settings
        self.quota = Quota(settings.rate_limit)
        self.faults = Faults(settings)

    def _answer(self, request: Request) -> Response:
        try:
            operation = operation_name(request, self._rest)
            if request.path.startswith(MOTO_API_PREFIX):
                with self._lock:
                    return self._forward(request)
            return self._answer_aws(request, operation)
        except Dropped:
            raise
        except Exception:
            # A sandbox bug must look like what AWS sends for its own faults,
            # not like a werkzeug debug page a client cannot parse.
            log.exception("sandbox failed on %s %s", request.method, request.path)
            protocol = protocol_of(request, signing_scope(request).service)
            return aws_error(protocol, internal_error())

    def _answer_aws(self, request: Request, operation: str) -> Response:
        self.stats.call(operation)
        scope = signing_scope(request)
        refusal, fault = self._front_door(request, operation, scope)
        delay = self.settings.latency_ms
        if fault == "slow":
            delay += self.settings.slow_ms
        if delay:
            time.sleep(delay / 1000)
        if fault == "drop":
            request.get_data()  # read it all, so the close is a clean one
            raise Dropped
        if refusal is not None:
            return aws_error(protocol_of(request, scope.service), refusal)
        with self._lock:
            return self._dispatch(request, operation, scope)

    def _front_door(
        self, request: Request, operation: str, scope: Scope
    ) -> tuple[ApiError | None, str | None]:
        """A refusal decided before dispatch, and the fault drawn, if any."""
        if not is_known(scope.region, scope.service):
            return _unknown_region(request, scope), None
        if scope.service == "lambda":
            wait = self.quota.wait((self.account, scope.region))
            if wait:
                self.stats.throttled()
                return throttled(wait), None
        fault = self.faults.decide(operation)
        if fault is None:
            return None, None
        self.stats.fault(fault)
        if fault == "throttle":
            return throttled(FAULT_RETRY_AFTER), fault
        if fault == "error":
            return internal_error("Internal error (injected fault)"), fault
        if fault == "conflict":
            return self._conflict(request, scope), fault
        return None, fault

    def _conflict(self, request: Request, scope: Scope) -> ApiError:
        message = (
            "The operation cannot be performed at this time. An update is in "
            f"progress for resource: {self._resource(request, scope)}"
        )
        return ApiError("ResourceConflictException", message, 409)

    def _resource(self, request: Request, scope: Scope) -> str:
        """The function a Lambda request names, as an ARN; else the path."""
        if _FUNCTION_PATH not in request.path:
            return request.path
        spelling = request.path.split(_FUNCTION_PATH, 1)[1].split("/", 1)[0]
        try:
            parsed = parse_function_name(spelling)
        except ApiError:
            return spelling
        account = parsed.account or self.account
        return function_arn(account, parsed.region or scope.region, parsed.name)

    def _propagating(self, arn: str) -> bool:
        window = self.settings.propagation_seconds
        if window and self.propagation.within(arn, window):
            self.stats.fault("propagation")
            return True
        return False

    def _dispatch(self, request: Request, operation: str, scope: Scope) -> Response:
        if self.api.operation(request.method, request.path):
            return self.api.handle(request, self.account, scope.region)
        if operation == "SimulatePrincipalPolicy" and scope.service == "iam":
            return simulate_principal_policy(request, self.lambdas.role_policies)
        response = self._forward(request)
        if response.status_code < 300:
            self._after_moto(request, operation, scope.region)
            self._fix_status(response, operation, scope)
        elif response.mimetype == "text/html":
            return self._unparseable(request, scope, response)
        return paging.page(operation, request, response)

    def _forward(self, request: Request) -> Response:
        # The body may have been read to find a query-protocol Action; moto
        # reads it again from the environ.
        body = request.get_data()
        request.environ["wsgi.input"] = io.BytesIO(body)
        request.environ["CONTENT_LENGTH"] = str(len(body))
        response = Response.from_app(self.moto_app, request.environ, buffered=True)
        if request.path.rstrip("/") == f"{MOTO_API_PREFIX}/reset":
            self.store.clear()
            self.propagation.reset()
        return response

    def _fix_status(self, response: Response, operation: str, scope: Scope) -> None:
        # moto answers some Lambda reads 201 (GetAlias); AWS answers 200.
        # A 204 carries no body, so no status is changed to or from 204.
        if scope.service != "lambda":
            return
        expected = self._rest.success_status("lambda", operation)
        if expected and 204 not in (expected, response.status_code):
            response.status_code = expected

    def _unparseable(
        self, request: Request, scope: Scope, response: Response
    ) -> Response:
        # Flask answers routes moto does not know with an HTML page.
        log.warning("moto answered %s %s with HTML", request.method, request.path)
        protocol = protocol_of(request, scope.service)
        if response.status_code == 404:
            error = ApiError("UnknownOperationException", "Unknown operation", 404)
            return aws_error(protocol, error)
        return aws_error(protocol, internal_error())

    def _after_moto(self, request: Request, operation: str, region: str) -> None:
        parts = request.path.strip("/").split("/")
        if operation == "DeleteFunction" and len(parts) == 3:
            qualifier = request.args.get("Qualifier")
            self.api.forget(self.account, region, parts[2], qualifier)
        elif operation == "DeleteAlias" and len(parts) == 5:
            self.api.forget(self.account, region, parts[2], parts[4])
        created = created_destination(operation, request, self.account, region)
        if created:
            self.propagation.appeared(created)

    def _admin(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        handlers: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/_eic/health"): self._health,
            ("GET", "/_eic/calls"): lambda _: json_response(self.stats.calls()),
            ("GET", "/_eic/stats"): lambda _: json_response(self.stats.snapshot()),
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
        self.stats.reset()
        return empty_response(204)

    def _post_world(self, request: Request) -> Response:
        try:
            document = parse_world(request.get_data(as_text=True))
            return json_response(self.load_world(document))
        except SeedingError as error:
            return admin_error(str(error), 500)
        except WorldError as error:
            return admin_error(str(error))

    def _delete_world(self, _: Request) -> Response:
        with self._lock:
            reset_all(self.store)
            self.iam_checks = False
            self.propagation.reset()
        return empty_response(204)

    def _current(self) -> Settings:
        """The settings, with fail_next showing only what is left of it."""
        return replace(self.settings, fail_next=self.faults.pending())

    def _get_settings(self, _: Request) -> Response:
        return json_response(self._current().as_dict())

    def _reset_settings(self, _: Request) -> Response:
        with self._lock:
            self._apply(self._initial)
        return json_response(self._current().as_dict())

    def _post_settings(self, request: Request) -> Response:
        try:
            changes = json.loads(request.get_data() or b"{}")
        except ValueError as error:
            return admin_error(f"settings are not JSON: {error}")
        if not isinstance(changes, dict):
            return admin_error("settings are a JSON object of changes")
        with self._lock:
            try:
                self._apply(self._current().updated(changes))
            except SettingsError as error:
                return admin_error(str(error))
        return json_response(self._current().as_dict())


def _unknown_region(request: Request, scope: Scope) -> ApiError:
    # AWS refuses a credential scoped to a region it does not have as a bad
    # signature: a 403 that botocore does not retry. moto would raise a
    # KeyError for such a region instead.
    protocol = protocol_of(request, scope.service)
    json_like = protocol in ("json", "rest-json")
    code = "InvalidSignatureException" if json_like else "SignatureDoesNotMatch"
    message = f"Credential should be scoped to a valid region, not '{scope.region}'."
    return ApiError(code, message, 403)


def _close_without_answer(request: Request) -> NoReturn:
    """End the connection with no HTTP answer, as a network fault would."""
    connection = request.environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        connection.shutdown(socket.SHUT_RDWR)
    # werkzeug takes a ConnectionError for a client that went away: it
    # writes nothing more, and keeps serving other connections.
    raise ConnectionAbortedError("connection dropped by an injected fault")
