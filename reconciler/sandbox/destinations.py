"""Checks AWS makes on destinations when a config is written.

The ARN pattern is checked by the front end (ValidationException); the rest
happens in Lambda and answers InvalidParameterValueException: an unsupported
service, S3 as a success destination, a Lambda destination that does not
exist or is the function itself, and (when the world asks for IAM checks) an
execution role that may not call the destination. A destination still in
its IAM propagation window gets the words of the last two, whatever the
facts, as AWS answers while IAM catches up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid_parameter
from .iampolicy import is_allowed
from .names import LATEST, Target, value_problem
from .store import Destinations

# botocore's DestinationArn pattern: empty, a Kafka URI or any ARN.
ARN_PATTERN = re.compile(
    r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))"
    r"|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:"
    r"([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)
ARN_MAX = 350

_LAMBDA_RESOURCE = re.compile(r"function:(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?")


@dataclass(frozen=True)
class Kind:
    """A destination service: what the role needs, where it may be used."""

    actions: tuple[str, ...]
    on_success: bool = True


KINDS: Mapping[str, Kind] = {
    "sqs": Kind(("sqs:SendMessage",)),
    "sns": Kind(("sns:Publish",)),
    "lambda": Kind(("lambda:InvokeFunction",)),
    "events": Kind(("events:PutEvents",)),
    "s3": Kind(("s3:PutObject", "s3:ListBucket"), on_success=False),
}


@dataclass(frozen=True)
class Arn:
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(service=parts[2], region=parts[3], account=parts[4], resource=parts[5])


def pattern_problems(destinations: Destinations) -> list[str]:
    """The front end's checks, reported as ValidationException problems."""
    problems = []
    for half, arn in _halves(destinations):
        where = f"destinationConfig.{half}.destination"
        if len(arn) > ARN_MAX:
            rule = f"Member must have length less than or equal to {ARN_MAX}"
            problems.append(value_problem(arn, where, rule))
        elif not ARN_PATTERN.fullmatch(arn):
            rule = (
                f"Member must satisfy regular expression pattern: {ARN_PATTERN.pattern}"
            )
            problems.append(value_problem(arn, where, rule))
    return problems


# Looks up a Lambda destination: (target of the destination) -> exists?
FunctionLookup = Callable[[Target], bool]
# The policies of the written function's execution role.
RolePolicies = Callable[[], list[Mapping[str, Any]]]
# Is this destination ARN still in its IAM propagation window?
Propagating = Callable[[str], bool]


def _settled(_: str) -> bool:
    return False


@dataclass(frozen=True)
class Checker:
    """Validates the destinations of one write to one function."""

    target: Target
    function_exists: FunctionLookup
    role_policies: RolePolicies | None  # None: IAM checks are off
    propagating: Propagating = _settled

    def check(self, destinations: Destinations) -> None:
        for half, arn in _halves(destinations):
            self._check_one(half, arn, destinations)

    def _check_one(self, half: str, arn: str, all_halves: Destinations) -> None:
        parsed = parse_arn(arn)
        kind = KINDS.get(parsed.service) if parsed else None
        if parsed is None or kind is None or not _shape_ok(parsed):
            raise _invalid_config(all_halves)
        if half == "onSuccess" and not kind.on_success:
            raise _invalid_config(all_halves)
        function = _lambda_target(parsed) if parsed.service == "lambda" else None
        if function is not None:
            self._check_not_itself(function)
        if self.propagating(arn):
            raise _propagation_refusal(kind, parsed.service, arn)
        if function is not None and not self.function_exists(function):
            raise _invalid_destination(arn)
        if self.role_policies is not None:
            self._check_role(kind, arn)

    def _check_not_itself(self, destination: Target) -> None:
        same_function = (
            destination.account == self.target.account
            and destination.region == self.target.region
            and destination.function == self.target.function
        )
        if same_function:
            raise invalid_parameter(
                "You can't specify the function as a destination for itself."
            )

    def _check_role(self, kind: Kind, arn: str) -> None:
        assert self.role_policies is not None
        policies = self.role_policies()
        for action in kind.actions:
            resource = _resource_for(action, arn)
            if not is_allowed(policies, action, resource):
                raise _no_permission(action, arn)


def _invalid_destination(arn: str) -> ApiError:
    return invalid_parameter(f"The destination ARN {arn} is invalid.")


def _no_permission(action: str, arn: str) -> ApiError:
    verb = action.split(":", 1)[1]
    return invalid_parameter(
        f"The function's execution role does not have permissions to call {verb} "
        f"on {arn}"
    )


def _propagation_refusal(kind: Kind, service: str, arn: str) -> ApiError:
    # The two messages Terraform retries while IAM propagates (doc, tf).
    if service == "lambda":
        return _invalid_destination(arn)
    return _no_permission(kind.actions[0], arn)


def _halves(destinations: Destinations) -> list[tuple[str, str]]:
    pairs = [("onSuccess", destinations.on_success)]
    pairs.append(("onFailure", destinations.on_failure))
    return [(half, arn) for half, arn in pairs if arn]


def _shape_ok(arn: Arn) -> bool:
    if arn.service == "lambda":
        return _LAMBDA_RESOURCE.fullmatch(arn.resource) is not None
    if arn.service == "events":
        return arn.resource.startswith("event-bus/")
    if arn.service == "s3":
        return not arn.region and not arn.account and "/" not in arn.resource
    return bool(arn.region and arn.account and arn.resource)


def _lambda_target(arn: Arn) -> Target:
    match = _LAMBDA_RESOURCE.fullmatch(arn.resource)
    assert match is not None
    qualifier = match["qualifier"] or LATEST
    return Target(arn.account, arn.region, match["name"], qualifier)


def _resource_for(action: str, arn: str) -> str:
    # Objects, not the bucket, are what PutObject is granted on.
    return f"{arn}/*" if action == "s3:PutObject" else arn


def _invalid_config(destinations: Destinations) -> ApiError:
    # Lambda prints the request's DestinationConfig the way its Java model does.
    def half(name: str, arn: str | None) -> str:
        return f"{name}(destination={arn})" if arn else "null"

    text = (
        f"DestinationConfig(onSuccess={half('OnSuccess', destinations.on_success)}, "
        f"onFailure={half('OnFailure', destinations.on_failure)})"
    )
    return invalid_parameter(f"The provided destination config {text} is invalid.")
