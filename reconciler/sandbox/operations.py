"""Which AWS operation a request is, for counting and faulting it.

JSON-protocol services name it in X-Amz-Target, query-protocol ones in the
Action parameter. REST services (Lambda, S3) put it in the method and path,
so those are matched against the request URIs of botocore's service model,
found through the service named in the SigV4 credential scope.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationModel, ServiceModel
from werkzeug.wrappers import Request

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")
_LABEL = re.compile(r"\{([^}]+)\}")
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Scope:
    """Region and service of a SigV4-signed request."""

    region: str
    service: str | None


def signing_scope(request: Request) -> Scope:
    match = _SCOPE.search(request.headers.get("Authorization", ""))
    if match is None:
        return Scope(DEFAULT_REGION, None)
    return Scope(match["region"], match["service"])


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]
    headers: tuple[str, ...]
    literal_length: int

    def matches(self, request: Request) -> bool:
        if request.method != self.method or not self.path.fullmatch(request.path):
            return False
        args = request.args
        wanted = all(
            key in args and (value is None or args[key] == value)
            for key, value in self.query
        )
        return wanted and all(name in request.headers for name in self.headers)

    @property
    def specificity(self) -> tuple[int, int]:
        # S3 shares paths between operations and tells them apart by query
        # keys (?tagging) or required headers (CopyObject's x-amz-copy-source),
        # so the route that demands most wins.
        return (len(self.query) + len(self.headers), self.literal_length)


def _route(operation: OperationModel) -> _Route:
    uri = operation.http["requestUri"]
    path, _, query = uri.partition("?")
    pieces = []
    for position, part in enumerate(_LABEL.split(path.rstrip("/"))):
        if position % 2 == 0:
            pieces.append(re.escape(part))
        else:
            pieces.append(".+" if part.endswith("+") else "[^/]+")
    pattern = re.compile("".join(pieces) + "/?")
    pairs = tuple((k, v or None) for k, v in parse_qsl(query, keep_blank_values=True))
    literal = len(_LABEL.sub("", path))
    method = operation.http.get("method", "")
    headers = _required_headers(operation)
    return _Route(operation.name, method, pattern, pairs, headers, literal)


def _required_headers(operation: OperationModel) -> tuple[str, ...]:
    shape = operation.input_shape
    if shape is None:
        return ()
    members = [shape.members[name] for name in shape.required_members]
    return tuple(
        m.serialization.get("name", "")
        for m in members
        if m.serialization.get("location") == "header"
    )


class RestOperations:
    """Lazily loaded request-URI tables of REST services, by signing name."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._routes: dict[str, list[_Route]] = {}
        self._statuses: dict[str, dict[str, int]] = {}

    def name(self, service: str, request: Request) -> str | None:
        candidates = [r for r in self._table(service) if r.matches(request)]
        if not candidates:
            return None
        return max(candidates, key=lambda r: r.specificity).operation

    def success_status(self, service: str, operation: str) -> int | None:
        """The HTTP status the service model gives a successful answer."""
        with self._lock:
            if service not in self._statuses:
                self._statuses[service] = self._load_statuses(service)
            return self._statuses[service].get(operation)

    def _load_statuses(self, service: str) -> dict[str, int]:
        try:
            model: ServiceModel = self._session.get_service_model(service)
        except UnknownServiceError:
            return {}
        operations = [model.operation_model(n) for n in model.operation_names]
        return {
            o.name: int(o.http["responseCode"])
            for o in operations
            if "responseCode" in o.http
        }

    def _table(self, service: str) -> list[_Route]:
        with self._lock:
            if service not in self._routes:
                self._routes[service] = self._load(service)
            return self._routes[service]

    def _load(self, service: str) -> list[_Route]:
        try:
            model: ServiceModel = self._session.get_service_model(service)
        except UnknownServiceError:
            return []
        return [_route(model.operation_model(n)) for n in model.operation_names]


def operation_name(request: Request, rest: RestOperations) -> str:
    target = request.headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    action = request.args.get("Action") or _form_action(request)
    if action:
        return action
    service = signing_scope(request).service
    found = service and rest.name(service, request)
    return found or f"{request.method} {request.path}"


def _form_action(request: Request) -> str | None:
    if request.mimetype != "application/x-www-form-urlencoded":
        return None
    return dict(parse_qsl(request.get_data(as_text=True))).get("Action")
