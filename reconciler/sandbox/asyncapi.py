"""The five async-config operations, as aws-lambda-async-config.md describes.

Each request is checked in the order Lambda checks it: the front end's
pattern and range checks (ValidationException), then the qualifier in the
name against ?Qualifier=, then "at least one setting", then the function
lookup, then the destinations, and only then the store.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.awslambda.models import LambdaFunction
from werkzeug.wrappers import Request, Response

from .destinations import Checker, Propagating, pattern_problems
from .errors import (
    ApiError,
    function_not_found,
    invalid_parameter,
    no_config,
    validation_error,
)
from .lambdas import Lambdas
from .names import (
    Target,
    check_reachable,
    name_problems,
    parse_function_name,
    qualifier_problems,
    range_problems,
    resolve_target,
    value_problem,
)
from .store import ConfigChange, ConfigStore, Destinations, function_key
from .wire import empty_response, error_response, json_response

PATH = re.compile(
    r"/2019-09-25/functions/(?P<name>[^/]+)/event-invoke-config(?P<list>/list)?/?"
)
RETRIES = (0, 2)
MAX_AGE = (60, 21600)
LIST_ITEMS = (1, 50)


@dataclass(frozen=True)
class Call:
    """One request to the API: who and where, plus its parameters."""

    account: str
    region: str
    function_name: str
    qualifier: str | None
    query: dict[str, str]
    body: bytes


class AsyncConfigApi:
    """Answers every request under .../event-invoke-config itself."""

    def __init__(
        self,
        store: ConfigStore,
        lambdas: Lambdas,
        iam_checks: Callable[[], bool],
        propagating: Propagating,
    ) -> None:
        self.store = store
        self.lambdas = lambdas
        self.iam_checks = iam_checks
        self.propagating = propagating

    @staticmethod
    def operation(method: str, path: str) -> str | None:
        """The operation a request is, or None when it is not one of ours."""
        match = PATH.fullmatch(path)
        if match is None:
            return None
        if match["list"]:
            return "ListFunctionEventInvokeConfigs" if method == "GET" else "Unknown"
        return _OPERATIONS.get(method, "Unknown")

    def handle(self, request: Request, account: str, region: str) -> Response:
        match = PATH.fullmatch(request.path)
        assert match is not None
        call = Call(
            account=account,
            region=region,
            function_name=match["name"],
            qualifier=request.args.get("Qualifier"),
            query=dict(request.args.items()),
            body=request.get_data(),
        )
        handler = self._handlers().get(self.operation(request.method, request.path))
        try:
            if handler is None:
                raise ApiError("UnknownOperationException", "Unknown operation", 404)
            return handler(call)
        except ApiError as error:
            return error_response(error)

    def _handlers(self) -> dict[str | None, Callable[[Call], Response]]:
        return {
            "PutFunctionEventInvokeConfig": self.put,
            "UpdateFunctionEventInvokeConfig": self.update,
            "GetFunctionEventInvokeConfig": self.get,
            "DeleteFunctionEventInvokeConfig": self.delete,
            "ListFunctionEventInvokeConfigs": self.list,
        }

    def put(self, call: Call) -> Response:
        target, change = self._write_request(call)
        self._checker(target).check(change.destinations or Destinations())
        stored = self.store.put(target, change.as_config())
        return json_response(stored.wire(target))

    def update(self, call: Call) -> Response:
        target, change = self._write_request(call)
        existing = self.store.get(target)
        if existing is None:
            raise no_config(target.arn)
        if change.destinations is not None:
            self._checker(target).check(change.destinations)
        stored = self.store.put(target, existing.merged(change))
        return json_response(stored.wire(target))

    def get(self, call: Call) -> Response:
        target = self._read_target(call)
        config = self.store.get(target)
        if config is None:
            raise no_config(target.arn)
        return json_response(config.wire(target))

    def delete(self, call: Call) -> Response:
        target = self._read_target(call)
        if not self.store.delete(target):
            raise no_config(target.arn)
        return empty_response(204)

    def list(self, call: Call) -> Response:
        max_items, problems = _max_items(call.query.get("MaxItems"))
        problems = name_problems(call.function_name) + problems
        if problems:
            raise validation_error(problems)
        # A qualifier in the name is ignored: List covers every qualifier.
        target = resolve_target(call.function_name, None, call.account, call.region)
        check_reachable(target, call.region)
        if not self.lambdas.function_exists(*function_key(target)):
            raise function_not_found()
        pairs = self.store.of_function(function_key(target))
        after = _decode_marker(call.query.get("Marker"))
        remaining = [(t, c) for t, c in pairs if after is None or t.arn > after]
        page = remaining[:max_items]
        body: dict[str, Any] = {
            "FunctionEventInvokeConfigs": [c.wire(t) for t, c in page],
        }
        if len(remaining) > len(page):
            body["NextMarker"] = _encode_marker(page[-1][0].arn)
        return json_response(body)

    def forget(
        self, account: str, region: str, spelling: str, qualifier: str | None
    ) -> None:
        """Drop configs after moto deleted a function, a version or an alias."""
        try:
            parsed = parse_function_name(spelling)
        except ApiError:
            return  # not a name this API could have stored configs under
        key = (parsed.account or account, parsed.region or region, parsed.name)
        chosen = parsed.qualifier or qualifier
        if chosen is None:
            self.store.delete_function(key)
        else:
            self.store.delete(Target(*key, chosen))

    def _write_request(self, call: Call) -> tuple[Target, ConfigChange]:
        change, problems = parse_change(call.body)
        problems = name_problems(call.function_name) + problems
        problems += qualifier_problems(call.qualifier)
        if problems:
            raise validation_error(problems)
        target = resolve_target(
            call.function_name, call.qualifier, call.account, call.region
        )
        if change.empty:
            raise invalid_parameter(
                "You must specify at least one of error handling or destination "
                "setting."
            )
        check_reachable(target, call.region)
        if self._function(target) is None:
            raise function_not_found()
        return target, change

    def _read_target(self, call: Call) -> Target:
        target = resolve_target(
            call.function_name, call.qualifier, call.account, call.region
        )
        check_reachable(target, call.region)
        return target

    def _function(self, target: Target) -> LambdaFunction | None:
        return self.lambdas.function(
            target.account, target.region, target.function, target.qualifier
        )

    def _checker(self, target: Target) -> Checker:
        def exists(destination: Target) -> bool:
            return self._function(destination) is not None

        def role_policies() -> list[Any]:
            fn = self._function(target)
            return self.lambdas.execution_role_policies(fn) if fn else []

        policies = role_policies if self.iam_checks() else None
        return Checker(target, exists, policies, self.propagating)


_OPERATIONS = {
    "PUT": "PutFunctionEventInvokeConfig",
    "POST": "UpdateFunctionEventInvokeConfig",
    "GET": "GetFunctionEventInvokeConfig",
    "DELETE": "DeleteFunctionEventInvokeConfig",
}


def parse_change(body: bytes) -> tuple[ConfigChange, list[str]]:
    """The settings a write carries, and every constraint they break."""
    document = _json_object(body)
    problems: list[str] = []
    retries = _integer(document, "MaximumRetryAttempts", RETRIES, problems)
    max_age = _integer(document, "MaximumEventAgeInSeconds", MAX_AGE, problems)
    destinations = _destinations(document.get("DestinationConfig"))
    if destinations is not None:
        problems += pattern_problems(destinations)
    return ConfigChange(retries, max_age, destinations), problems


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ApiError("SerializationException", f"Invalid JSON: {error}") from error
    if not isinstance(document, dict):
        raise ApiError("SerializationException", "The request body must be an object")
    return document


def _integer(
    document: dict[str, Any], key: str, bounds: tuple[int, int], problems: list[str]
) -> int | None:
    value = document.get(key)
    if value is None:
        return None
    where = key[0].lower() + key[1:]
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(value_problem(str(value), where, "Member must be an integer"))
        return None
    problems += range_problems(value, where, bounds)
    return value


def _destinations(config: Any) -> Destinations | None:
    if not isinstance(config, dict):
        return None
    return Destinations(
        on_success=_destination(config.get("OnSuccess")),
        on_failure=_destination(config.get("OnFailure")),
    )


def _destination(half: Any) -> str | None:
    # {"OnSuccess": {}} is accepted and means "no success destination".
    if not isinstance(half, dict):
        return None
    arn = half.get("Destination")
    return str(arn) if arn else None


def _max_items(text: str | None) -> tuple[int, list[str]]:
    """The page size asked for (default 50), and what is wrong with it."""
    if text is None:
        return LIST_ITEMS[1], []
    if not text.lstrip("-").isdigit():
        rule = "Member must be an integer"
        return LIST_ITEMS[1], [value_problem(text, "maxItems", rule)]
    count = int(text)
    return count, range_problems(count, "maxItems", LIST_ITEMS)


def _encode_marker(arn: str) -> str:
    # Opaque to callers, as Lambda's markers are; it is the last ARN returned.
    return base64.urlsafe_b64encode(arn.encode()).decode()


def _decode_marker(marker: str | None) -> str | None:
    if not marker:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise invalid_parameter("The marker is invalid.") from error
