"""Turning a checked World into moto state and stored configs.

Seeding calls moto's backends in-process rather than over HTTP so that a
world of thousands of functions loads in seconds. Seeded configs skip the
destination checks a Put makes, but get a LastModified like any other.

Everything moto could refuse is checked before the old state is reset:
``check_world`` covers regions and names, ``seeding_problems`` the role
policies (with moto's own validator). Should seeding still fail, the
sandbox is left empty, never half-seeded, and the error says so.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import zipfile
from functools import cache

from moto.awslambda.utils import get_backend
from moto.events.models import events_backends
from moto.iam.models import iam_backends
from moto.iam.policy_validation import IAMPolicyDocumentValidator
from moto.moto_api._internal.models import moto_api_backend
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from .errors import WorldError
from .lambdas import MOTO_ERRORS
from .names import partition
from .store import ConfigStore
from .world import DEFAULT_ROLE, FunctionSpec, World, invalid_world

log = logging.getLogger(__name__)

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


class SeedingError(WorldError):
    """Seeding failed after the old state was reset: the sandbox is empty."""


def seeding_problems(world: World) -> list[str]:
    """What moto would refuse in a checked world: role policies it cannot load."""
    problems = []
    for index, policies in enumerate(world.roles.values()):
        for number, policy in enumerate(policies):
            try:
                IAMPolicyDocumentValidator(json.dumps(policy)).validate()
            except MOTO_ERRORS as error:
                where = f"world.roles[{index}].policies[{number}]"
                problems.append(f"{where}: {_moto_message(error)}")
    return problems


def seed(world: World, store: ConfigStore) -> dict[str, int]:
    """Replace all sandbox state by the world; the caller serialises requests.

    WorldError, with the old state untouched, when moto would refuse the world.
    """
    problems = seeding_problems(world)
    if problems:
        raise invalid_world(problems)
    reset_all(store)
    try:
        _seed_moto(world)
        for target, config in world.configs:
            store.put(target, config)
    except Exception as error:
        # The checks above should leave nothing for moto to refuse: this is a
        # sandbox bug, so keep the traceback, and leave no half-seeded state.
        log.exception("seeding failed")
        reset_all(store)
        raise SeedingError(
            f"seeding failed, the sandbox is now empty: {_moto_message(error)}"
        ) from error
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


def _moto_message(error: Exception) -> str:
    text = getattr(error, "message", None) or getattr(error, "description", None)
    return str(text or repr(error))


@cache
def _code_zip() -> str:
    """One tiny deployment package, base64 as CreateFunction takes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return base64.b64encode(buffer.getvalue()).decode()
