"""Read-only checks of what a plan is about to write, before anyone merges.

AWS checks destinations only when a Put or Update carries them, and then
answers with a generic "The destination ARN ... is invalid." So, for the
writes of a plan and nothing else (every check costs rate budget), this
module asks: does each destination exist, may the function's execution role
send to it (``iam:SimulatePrincipalPolicy``), and does the alias or version
of a new config exist? Problems become warnings in the plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import threading
from concurrent.futures import Future
from typing import Any

import botocore.exceptions
import botocore.parsers

from reconciler import names
from reconciler.aws import Connection, LambdaApi
from reconciler.errors import Location
from reconciler.model import Identity, settings_from_api
from reconciler.planner import Change

log = logging.getLogger(__name__)

# What the execution role needs per destination service (Lambda docs), and
# on which resource: S3 grants PutObject on the bucket's objects, not on it.
SEND_ACTIONS = {
    "sqs": [("sqs:SendMessage", "")],
    "sns": [("sns:Publish", "")],
    "lambda": [("lambda:InvokeFunction", "")],
    "events": [("events:PutEvents", "")],
    "s3": [("s3:PutObject", "/*"), ("s3:ListBucket", "")],
}
# Preflight is advice: no answer it gets may stop the plan.
_TRANSPORT_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.parsers.ResponseParserError,
)
_MISSING_CODES = {
    "ResourceNotFoundException",
    "NotFound",
    "NotFoundException",
    "404",
    "NoSuchBucket",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
}


@dataclass(frozen=True)
class Warning:
    identity: Identity
    location: Location | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.identity} in {self.identity.region}: {self.message}"


class Preflight:
    def __init__(
        self,
        connection: Connection,
        apis: dict[str, LambdaApi],
        pool: ThreadPoolExecutor,
        known_roles: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.connection = connection
        self.apis = apis
        self.pool = pool
        self.known_roles = known_roles or {}
        self.client = _Once(self._make_client)
        self.destination_problem = _Once(self._destination_problem)
        self.role_of = _Once(self._role_of)
        self.denied = _Once(self._denied)
        self.qualifier_problem = _Once(self._qualifier_problem)

    def check(self, changes: tuple[Change, ...]) -> list[Warning]:
        writes = [c for c in changes if c.call in ("put", "update")]
        found = self.pool.map(self._check_change, writes)
        return [warning for warnings in found for warning in warnings]

    def _check_change(self, change: Change) -> list[Warning]:
        identity = change.identity
        messages = []
        if change.action == "create" and identity.qualifier != names.LATEST:
            messages.append(self.qualifier_problem(identity))
        sent = settings_from_api(change.request)  # only what the write carries
        for arn in filter(None, (sent.on_success, sent.on_failure)):
            problem = self.destination_problem(arn, identity.region)
            messages.append(problem or self._permission_problem(identity, arn))
        return [Warning(identity, change.location, m) for m in messages if m]

    # --- AWS reads, each cached: many configs share destinations and roles ---

    def _make_client(self, service: str, region: str) -> Any:
        # Lambda reads share the region's rate limiter with the plan's reads.
        if service == "lambda" and region in self.apis:
            return self.apis[region].client
        return self.connection.client(service, region)

    def _qualifier_problem(self, identity: Identity) -> str | None:
        lam = self.client("lambda", identity.region)
        qualifier = identity.qualifier
        try:
            if qualifier.isdigit():
                lam.get_function_configuration(
                    FunctionName=identity.function, Qualifier=qualifier
                )
            else:
                lam.get_alias(FunctionName=identity.function, Name=qualifier)
        except botocore.exceptions.ClientError as err:
            if _code(err) in _MISSING_CODES:
                kind = "version" if qualifier.isdigit() else "alias"
                return (
                    f"{kind} `{qualifier}` of {identity.function} does not exist; "
                    "the write will fail with ResourceNotFoundException"
                )
            return _could_not_check(f"{identity}", err)
        except _TRANSPORT_ERRORS as err:
            return f"could not check {identity}: {err}"
        return None

    def _destination_problem(self, arn: str, region: str) -> str | None:
        parsed = names.parse_destination(arn)
        if isinstance(parsed, str):
            return parsed
        probe = _PROBES[parsed.service]
        try:
            probe(self, parsed, arn)
        except botocore.exceptions.ClientError as err:
            if _code(err) in _MISSING_CODES:
                return (
                    f"destination {arn} does not exist; AWS will refuse the write "
                    "(\"The destination ARN ... is invalid.\")"
                )
            return _could_not_check(arn, err)
        except _TRANSPORT_ERRORS as err:
            return f"could not check destination {arn}: {err}"
        return None

    def _role_of(self, region: str, function: str) -> str | None:
        if self.known_roles.get((region, function)):
            return self.known_roles[(region, function)]
        lam = self.client("lambda", region)
        try:
            return lam.get_function_configuration(FunctionName=function)["Role"]
        except (botocore.exceptions.ClientError, *_TRANSPORT_ERRORS) as err:
            log.debug("no role for %s: %s", function, err)
            return None

    def _denied(self, role: str, action: str, arn: str) -> str | None:
        iam = self.client("iam", "us-east-1")
        try:
            answer = iam.simulate_principal_policy(
                PolicySourceArn=role, ActionNames=[action], ResourceArns=[arn]
            )
        except botocore.exceptions.ClientError as err:
            return _could_not_check(f"the permissions of {role}", err)
        except _TRANSPORT_ERRORS as err:
            return f"could not check the permissions of {role}: {err}"
        refused = [
            result["EvalActionName"]
            for result in answer["EvaluationResults"]
            if result["EvalDecision"] != "allowed"
        ]
        if not refused:
            return None
        return (
            f"the execution role {role} may not {', '.join(refused)} on {arn}; "
            "AWS will refuse the write. Grant it in the role's policy"
        )

    def _permission_problem(self, identity: Identity, arn: str) -> str | None:
        role = self.role_of(identity.region, identity.function)
        if role is None:
            return None  # the function itself is missing: reported elsewhere
        service = arn.split(":")[2]
        problems = [
            self.denied(role, action, arn + suffix)
            for action, suffix in SEND_ACTIONS[service]
        ]
        return "; ".join(p for p in problems if p) or None


class _Once:
    """Memoise a function across threads: each key is computed once.

    Threads asking for a key already being computed wait for that answer
    instead of making the same AWS call again.
    """

    def __init__(self, compute: Callable[..., Any]) -> None:
        self.compute = compute
        self.lock = threading.Lock()
        self.results: dict[tuple, Future] = {}

    def __call__(self, *key: Any) -> Any:
        with self.lock:
            mine = key not in self.results
            if mine:
                self.results[key] = Future()
            future = self.results[key]
        if mine:
            try:
                future.set_result(self.compute(*key))
            except BaseException as err:
                future.set_exception(err)
        return future.result()


def _probe_sqs(check: Preflight, arn: names.DestinationArn, _full: str) -> None:
    check.client("sqs", arn.region).get_queue_url(
        QueueName=arn.resource, QueueOwnerAWSAccountId=arn.account
    )


def _probe_sns(check: Preflight, arn: names.DestinationArn, full: str) -> None:
    check.client("sns", arn.region).get_topic_attributes(TopicArn=full)


def _probe_events(check: Preflight, arn: names.DestinationArn, full: str) -> None:
    check.client("events", arn.region).describe_event_bus(Name=full)


def _probe_s3(check: Preflight, arn: names.DestinationArn, _full: str) -> None:
    check.client("s3", "us-east-1").head_bucket(Bucket=arn.resource)


def _probe_lambda(check: Preflight, arn: names.DestinationArn, full: str) -> None:
    check.client("lambda", arn.region).get_function_configuration(FunctionName=full)


_PROBES: dict[str, Callable[[Preflight, names.DestinationArn, str], None]] = {
    "sqs": _probe_sqs,
    "sns": _probe_sns,
    "events": _probe_events,
    "s3": _probe_s3,
    "lambda": _probe_lambda,
}


def _code(err: botocore.exceptions.ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _could_not_check(what: str, err: botocore.exceptions.ClientError) -> str:
    return (
        f"could not check {what}: AWS said {_code(err)} "
        f"({err.response.get('Error', {}).get('Message', '')}); the write may "
        "still succeed"
    )
