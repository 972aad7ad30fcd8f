"""Turning a checked World into moto state and stored configs.

Seeding calls moto's backends in-process rather than over HTTP so that a
world of thousands of functions loads in seconds. Seeded configs skip the
destination checks a Put makes, but get a LastModified like any other.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from functools import cache

from moto.awslambda.utils import get_backend
from moto.events.models import events_backends
from moto.iam.models import iam_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from .errors import WorldError
from .lambdas import MOTO_ERRORS
from .names import partition
from .store import ConfigStore
from .world import DEFAULT_ROLE, FunctionSpec, World

_LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def reset_all(store: ConfigStore) -> None:
    """Every moto backend of every account back to empty, and no configs."""
    moto_api_backend.reset()
    store.clear()


def seed(world: World, store: ConfigStore) -> dict[str, int]:
    """Replace all sandbox state by the world; the caller serialises requests."""
    reset_all(store)
    try:
        _seed_moto(world)
    except MOTO_ERRORS as error:
        reset_all(store)
        message = getattr(error, "message", None) or getattr(error, "description", "")
        raise WorldError(
            f"seeding failed, the sandbox is now empty: {message}"
        ) from error
    for target, config in world.configs:
        store.put(target, config)
    return {
        "roles": len(world.roles),
        "functions": len(world.functions),
        "event_invoke_configs": len(world.configs),
    }


def _seed_moto(world: World) -> None:
    account = world.account
    roles = _create_roles(world)
    for fn in world.functions:
        _create_function(account, fn, roles[partition(fn.region), fn.role])
    for queue in world.queues:
        fifo = {"FifoQueue": "true"} if queue.name.endswith(".fifo") else {}
        sqs_backends[account][queue.region].create_queue(queue.name, None, **fifo)
    for topic in world.topics:
        fifo = {"FifoTopic": "true"} if topic.name.endswith(".fifo") else {}
        sns_backends[account][topic.region].create_topic(topic.name, fifo)
    for bus in world.buses:
        if bus.name != "default":
            events_backends[account][bus.region].create_event_bus(bus.name)
    for bucket in world.buckets:
        backend = s3_backends[account][partition(bucket.region)]
        backend.create_bucket(bucket.name, bucket.region)


def _create_roles(world: World) -> dict[tuple[str, str], str]:
    """Role ARNs by partition and name, in every partition functions use."""
    arns = {}
    for part in sorted({partition(fn.region) for fn in world.functions} | {"aws"}):
        iam = iam_backends[world.account][part]
        for name, policies in [(DEFAULT_ROLE, []), *world.roles.items()]:
            role = iam.create_role(name, _LAMBDA_TRUST, "/", None, "", [], None)
            for index, policy in enumerate(policies, start=1):
                iam.put_role_policy(name, f"policy-{index}", json.dumps(policy))
            arns[part, name] = role.arn
    return arns


def _create_function(account: str, fn: FunctionSpec, role_arn: str) -> None:
    backend = get_backend(account, fn.region)
    spec = {
        "FunctionName": fn.name,
        "Runtime": "python3.12",
        "Role": role_arn,
        "Handler": "index.handler",
        "Code": {"ZipFile": _code_zip()},
    }
    latest = backend.create_function(spec)
    for _ in range(fn.versions):
        # moto publishes nothing new unless code or config changed since the
        # last version; the world asks for distinct versions 1..N.
        latest.code_or_config_updated = True
        backend.publish_version(fn.name)
    for alias, version in fn.aliases.items():
        backend.create_alias(alias, fn.name, version, "", "")


@cache
def _code_zip() -> str:
    """One tiny deployment package, base64 as CreateFunction takes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buffer.getvalue()).decode()
