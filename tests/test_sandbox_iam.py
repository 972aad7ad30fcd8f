"""The reads a preflight makes, iam:SimulatePrincipalPolicy among them.

A preflight asks, before a write, whether each destination exists and
whether the function's execution role may send to it. Every answer here,
found or not found, must be one botocore parses, as it would from AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fixtures_sandbox import SandboxHandle

ACCOUNT = "111122223333"
REGION = "eu-west-1"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-fail"
OTHER_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-other"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-fail"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/bus-a"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-exec"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:*", "Resource": OTHER_QUEUE},
        {
            "Effect": "Allow",
            "Action": "SNS:Pub*",
            "Resource": f"arn:aws:sns:*:{ACCOUNT}:t-*",
        },
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
    ],
}
WORLD: dict[str, Any] = {
    "account": ACCOUNT,
    "region": REGION,
    "roles": [{"name": "fn-exec", "policies": [POLICY]}],
    "functions": [
        {"name": "fn", "role": "fn-exec", "versions": 1, "aliases": {"live": 1}}
    ],
    "queues": ["q-fail"],
    "topics": ["t-fail"],
    "buses": ["bus-a"],
    "buckets": ["b-fail"],
}


@pytest.fixture
def iam(world: SandboxHandle) -> Any:
    world.load_world(WORLD)
    return world.client("iam", "us-east-1")


def refused(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def decisions(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"])
        for r in answer["EvaluationResults"]
    ]


# --- iam:SimulatePrincipalPolicy -----------------------------------------------


def test_simulation_judges_the_roles_inline_policies(iam: Any) -> None:
    answer = iam.simulate_principal_policy(
        PolicySourceArn=ROLE,
        ActionNames=["sqs:SendMessage", "sns:Publish", "events:PutEvents"],
        ResourceArns=[QUEUE, OTHER_QUEUE, TOPIC],
    )
    assert answer["IsTruncated"] is False
    assert decisions(answer) == [
        ("sqs:SendMessage", QUEUE, "allowed"),
        ("sqs:SendMessage", OTHER_QUEUE, "explicitDeny"),
        ("sqs:SendMessage", TOPIC, "allowed"),
        ("sns:Publish", QUEUE, "implicitDeny"),
        ("sns:Publish", OTHER_QUEUE, "implicitDeny"),
        ("sns:Publish", TOPIC, "allowed"),
        ("events:PutEvents", QUEUE, "implicitDeny"),
        ("events:PutEvents", OTHER_QUEUE, "implicitDeny"),
        ("events:PutEvents", TOPIC, "implicitDeny"),
    ]


def test_a_statement_with_a_condition_never_applies(iam: Any) -> None:
    answer = iam.simulate_principal_policy(
        PolicySourceArn=ROLE, ActionNames=["lambda:InvokeFunction"]
    )
    assert decisions(answer) == [("lambda:InvokeFunction", "*", "implicitDeny")]


def test_simulation_sees_attached_and_later_inline_policies(iam: Any) -> None:
    allow_bus = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:*", "Resource": BUS}],
    }
    arn = iam.create_policy(PolicyName="bus", PolicyDocument=json.dumps(allow_bus))[
        "Policy"
    ]["Arn"]
    iam.attach_role_policy(RoleName="fn-exec", PolicyArn=arn)
    deny_topic = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": TOPIC}],
    }
    iam.put_role_policy(
        RoleName="fn-exec", PolicyName="late", PolicyDocument=json.dumps(deny_topic)
    )
    answer = iam.simulate_principal_policy(
        PolicySourceArn=ROLE,
        ActionNames=["events:PutEvents", "sns:Publish"],
        ResourceArns=[BUS],
    )
    assert [d for _, _, d in decisions(answer)] == ["allowed", "implicitDeny"]
    answer = iam.simulate_principal_policy(
        PolicySourceArn=ROLE, ActionNames=["sns:Publish"], ResourceArns=[TOPIC]
    )
    assert decisions(answer) == [("sns:Publish", TOPIC, "explicitDeny")]


def test_an_unknown_role_is_no_such_entity(iam: Any) -> None:
    def simulate(arn: str) -> Any:
        return iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["sqs:SendMessage"]
        )

    assert refused(lambda: simulate(ROLE + "-gone")) == (404, "NoSuchEntity")
    other_account = ROLE.replace(ACCOUNT, "444455556666")
    assert refused(lambda: simulate(other_account)) == (404, "NoSuchEntity")
    user = f"arn:aws:iam::{ACCOUNT}:user/someone"
    assert refused(lambda: simulate(user)) == (400, "InvalidInput")


def test_the_default_role_has_no_permissions(world: SandboxHandle) -> None:
    world.load_world({"functions": [{"name": "plain"}]})
    lam, iam = world.client("lambda"), world.client("iam", "us-east-1")
    role = lam.get_function_configuration(FunctionName="plain")["Role"]
    answer = iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["sqs:SendMessage"], ResourceArns=[QUEUE]
    )
    assert decisions(answer) == [("sqs:SendMessage", QUEUE, "implicitDeny")]


# --- Destination and qualifier reads -------------------------------------------

FOUND = [
    pytest.param(
        "sqs",
        lambda c: c.get_queue_url(QueueName="q-fail", QueueOwnerAWSAccountId=ACCOUNT),
        id="sqs",
    ),
    pytest.param("sns", lambda c: c.get_topic_attributes(TopicArn=TOPIC), id="sns"),
    pytest.param("events", lambda c: c.describe_event_bus(Name=BUS), id="events"),
    pytest.param("s3", lambda c: c.head_bucket(Bucket="b-fail"), id="s3"),
    pytest.param(
        "lambda", lambda c: c.get_alias(FunctionName="fn", Name="live"), id="alias"
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_function_configuration(FunctionName="fn", Qualifier="1"),
        id="version",
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_function_configuration(
            FunctionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
        ),
        id="function-arn",
    ),
]


@pytest.mark.parametrize(("service", "read"), FOUND)
def test_preflight_reads_find_what_exists(
    world: SandboxHandle, service: str, read: Callable[[Any], Any]
) -> None:
    world.load_world(WORLD)
    answer = read(world.client(service))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


MISSING = [
    pytest.param(
        "sqs",
        lambda c: c.get_queue_url(QueueName="q-gone", QueueOwnerAWSAccountId=ACCOUNT),
        (400, "AWS.SimpleQueueService.NonExistentQueue"),
        id="sqs",
    ),
    pytest.param(
        "sns",
        lambda c: c.get_topic_attributes(TopicArn=TOPIC.replace("t-fail", "t-gone")),
        (404, "NotFound"),
        id="sns",
    ),
    pytest.param(
        "events",
        lambda c: c.describe_event_bus(Name=BUS.replace("bus-a", "bus-gone")),
        (400, "ResourceNotFoundException"),
        id="events",
    ),
    pytest.param(
        "s3", lambda c: c.head_bucket(Bucket="b-gone"), (404, "404"), id="s3-bucket"
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_alias(FunctionName="fn", Name="gone"),
        (404, "ResourceNotFoundException"),
        id="alias",
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_function_configuration(FunctionName="fn", Qualifier="7"),
        (404, "ResourceNotFoundException"),
        id="version",
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_function_configuration(
            FunctionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gone"
        ),
        (404, "ResourceNotFoundException"),
        id="function-arn",
    ),
]


@pytest.mark.parametrize(("service", "read", "expected"), MISSING)
def test_preflight_reads_of_what_is_missing_are_not_found(
    world: SandboxHandle,
    service: str,
    read: Callable[[Any], Any],
    expected: tuple[int, str],
) -> None:
    world.load_world(WORLD)
    assert refused(lambda: read(world.client(service))) == expected


def test_a_missing_queue_also_carries_the_query_error_code(
    world: SandboxHandle,
) -> None:
    # SQS speaks JSON now; older clients knew the code as QueueDoesNotExist.
    with pytest.raises(ClientError) as caught:
        world.client("sqs").get_queue_url(QueueName="q-gone")
    assert caught.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"


# --- Nothing unparseable -------------------------------------------------------

# Operations moto (5.1, 5.2) does not implement: the sandbox must still answer
# in the protocol asked. Replace one here if a moto release implements it.
UNIMPLEMENTED = [
    pytest.param(
        "iam",
        lambda c: c.simulate_custom_policy(
            PolicyInputList=["{}"], ActionNames=["sqs:SendMessage"]
        ),
        (500, "ServiceException"),
        id="iam-query",
    ),
    pytest.param(
        "sqs",
        lambda c: c.list_message_move_tasks(SourceArn=QUEUE),
        (500, "ServiceException"),
        id="sqs-json",
    ),
    pytest.param(
        "lambda",
        lambda c: c.get_function_recursion_config(FunctionName="fn"),
        (404, "UnknownOperationException"),
        id="lambda-route-moto-lacks",
    ),
]


@pytest.mark.parametrize(("service", "call", "expected"), UNIMPLEMENTED)
def test_what_moto_cannot_answer_is_still_a_parseable_error(
    world: SandboxHandle,
    service: str,
    call: Callable[[Any], Any],
    expected: tuple[int, str],
) -> None:
    world.load_world(WORLD)
    region = "us-east-1" if service == "iam" else REGION
    assert refused(lambda: call(world.client(service, region))) == expected
    world.client("lambda").list_functions()  # and the sandbox serves on
