"""When each destination appeared, for the IAM propagation window.

For a few minutes after a destination is created AWS may refuse a config
naming it, with the same words as for a missing destination or permission
(aws-lambda-async-config.md, "Destinations"). The sandbox notes when each
destination appeared, whether a world load seeded it or a Create call made
it (SQS CreateQueue, SNS CreateTopic, EventBridge CreateEventBus, S3
CreateBucket, Lambda CreateFunction), so that a window can be applied.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request

from .errors import ApiError
from .names import function_arn, parse_function_name, partition
from .world import World

_LAMBDA_QUALIFIED = ":function:"


class Propagation:
    """Thread-safe map of destination ARN -> when it appeared."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}

    def reset(self, arns: Iterable[str] = ()) -> None:
        """Forget everything; the ARNs given appear now."""
        now = self._clock()
        with self._lock:
            self._seen = {_key(arn): now for arn in arns}

    def appeared(self, arn: str) -> None:
        with self._lock:
            self._seen[_key(arn)] = self._clock()

    def within(self, arn: str, window: float) -> bool:
        """Did the destination appear less than ``window`` seconds ago?"""
        with self._lock:
            since = self._seen.get(_key(arn))
        return since is not None and self._clock() - since < window


def _key(arn: str) -> str:
    # A qualified Lambda ARN is the same function as far as IAM is concerned.
    head, found, rest = arn.partition(_LAMBDA_QUALIFIED)
    if not found or not arn.startswith("arn:") or ":lambda:" not in head:
        return arn
    return f"{head}{found}{rest.split(':', 1)[0]}"


def world_destinations(world: World) -> list[str]:
    """The ARN of everything a world creates that a config may send to."""
    account = world.account

    def arn(service: str, region: str, resource: str) -> str:
        return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"

    arns = [arn("sqs", q.region, q.name) for q in world.queues]
    arns += [arn("sns", t.region, t.name) for t in world.topics]
    # The default bus always exists in AWS; it never "appears".
    arns += [
        arn("events", b.region, f"event-bus/{b.name}")
        for b in world.buses
        if b.name != "default"
    ]
    arns += [f"arn:{partition(b.region)}:s3:::{b.name}" for b in world.buckets]
    arns += [function_arn(account, f.region, f.name) for f in world.functions]
    return arns


def created_destination(
    operation: str, request: Request, account: str, region: str
) -> str | None:
    """The ARN a successful Create call made, when it makes a destination."""
    prefix = f"arn:{partition(region)}"
    if operation == "CreateQueue":
        name = _parameter(request, "QueueName")
        return name and f"{prefix}:sqs:{region}:{account}:{name}"
    if operation == "CreateTopic":
        name = _parameter(request, "Name")
        return name and f"{prefix}:sns:{region}:{account}:{name}"
    if operation == "CreateEventBus":
        name = _parameter(request, "Name")
        return name and f"{prefix}:events:{region}:{account}:event-bus/{name}"
    if operation == "CreateBucket":
        name = _bucket(request)
        return name and f"{prefix}:s3:::{name}"
    if operation == "CreateFunction":
        name = _parameter(request, "FunctionName")
        return name and _function(name, account, region)
    return None


def _function(spelling: str, account: str, region: str) -> str | None:
    try:
        parsed = parse_function_name(spelling)
    except ApiError:
        return None
    owner, place = parsed.account or account, parsed.region or region
    return function_arn(owner, place, parsed.name)


def _parameter(request: Request, key: str) -> str | None:
    """A parameter of a JSON-protocol body or a query-protocol form."""
    text = request.get_data(as_text=True)
    if request.mimetype == "application/x-www-form-urlencoded":
        value = dict(parse_qsl(text)).get(key)
    else:
        try:
            body = json.loads(text or "{}")
        except ValueError:
            return None
        value = body.get(key) if isinstance(body, dict) else None
    return str(value) if value else request.args.get(key)


def _bucket(request: Request) -> str | None:
    # Path style (/bucket) against an IP endpoint; virtual-host style names
    # the bucket in the first label of the Host header.
    first = request.path.strip("/").split("/")[0]
    if first:
        return first
    host = request.host.split(":")[0]
    label, dot, _ = host.partition(".")
    return label if dot and not host.replace(".", "").isdigit() else None
