"""How the sandbox answers under load and faults, against aws-lambda-async-config.md
("Errors and retries", "Rate limits", "Destinations").

Every test talks to the sandbox through boto3 with one attempt per call, so
it sees each answer the sandbox gave; the `world` fixture puts the settings
back after each test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from fixtures_sandbox import (
    DUMMY_ENV,
    REPO,
    SandboxAdminError,
    SandboxHandle,
    start_sandbox,
    stop_sandbox,
)

ACCOUNT = "111122223333"
REGION = "eu-west-1"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-fail"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-fail"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/bus-a"
HANDLER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn-handler"
BUCKET = "arn:aws:s3:::b-fail"
WORLD: dict[str, Any] = {
    "account": ACCOUNT,
    "region": REGION,
    "functions": [
        {"name": "fn", "versions": 1, "aliases": {"live": 1}},
        {"name": "fn-handler"},
    ],
    "queues": ["q-fail"],
    "topics": ["t-fail"],
    "buses": ["bus-a"],
    "buckets": ["b-fail"],
    "event_invoke_configs": [{"function_name": "fn", "maximum_retry_attempts": 0}],
}
WRITES = [
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
]
NO_FAULTS = {"throttle": 0, "error": 0, "conflict": 0, "slow": 0, "drop": 0}


@pytest.fixture
def lam(world: SandboxHandle) -> Any:
    world.load_world(WORLD)
    world.reset_calls()
    return world.client("lambda")


def outcome(call: Callable[[], Any], slow_after: float = 10.0) -> str:
    """What one call met: ok, slow, dropped, or STATUS CODE of its error."""
    started = time.monotonic()
    try:
        call()
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return f"{status} {error.response['Error']['Code']}"
    except ConnectionClosedError:
        return "dropped"
    return "slow" if time.monotonic() - started >= slow_after else "ok"


def refused(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def put(lam: Any, **settings: Any) -> Any:
    return lam.put_function_event_invoke_config(FunctionName="fn", **settings)


# --- Settings and flags --------------------------------------------------------


def test_settings_show_every_knob_with_its_default(world: SandboxHandle) -> None:
    assert world.settings() == {
        "latency_ms": 0,
        "rate_limit": 0.0,
        "faults": {**NO_FAULTS},
        "fault_seed": 0,
        "slow_ms": 2000,
        "fault_operations": None,
        "fail_next": [],
        "propagation_seconds": 0.0,
    }


def test_a_settings_change_keeps_other_knobs_and_delete_restores(
    world: SandboxHandle,
) -> None:
    world.settings(rate_limit=15, faults={"drop": 0.25})
    changed = world.settings(fault_operations=["ListFunctions"])
    assert changed["rate_limit"] == 15.0
    assert changed["faults"] == {**NO_FAULTS, "drop": 0.25}
    assert changed["fault_operations"] == ["ListFunctions"]
    assert world.reset_settings() == world.settings()
    assert world.settings()["rate_limit"] == 0.0


BAD_SETTINGS = [
    ({"rate_limit": -1}, "rate_limit: must be a number, 0 or more"),
    ({"rate_limit": "fast"}, "rate_limit: must be a number"),
    ({"latency_ms": 1.5}, "latency_ms: must be a whole number"),
    ({"faults": {"slo": 0.1}}, "faults.slo: no such fault"),
    ({"faults": {"error": 1.5}}, "faults.error: must be from 0 to 1"),
    ({"faults": {"error": 0.6, "drop": 0.6}}, "faults: the rates add up to 1.2"),
    ({"faults": [0.1]}, "faults: must be an object"),
    ({"fault_seed": "seven"}, "fault_seed: must be a whole number"),
    ({"fault_operations": "ListFunctions"}, "fault_operations: must be a list"),
    ({"fault_operations": ["list_functions"]}, "fault_operations[0]: must be"),
    ({"fail_next": [{"operation": "GetAlias"}]}, "fail_next[0]: must be an object"),
    ({"fail_next": [7]}, "fail_next[0]: must be an object"),
    ({"fail_next": ["GetAlias"]}, "fail_next[0]: 'GetAlias' is not OPERATION:CODE"),
    ({"fail_next": ["GetAlias:drop:x"]}, "fail_next[0]: 'GetAlias:drop:x' is not"),
    ({"fail_next": ["GetAlias:Boom"]}, "fail_next[0].code: must be one of"),
    ({"fail_next": ["GetAlias:drop:0"]}, "fail_next[0].count: must be 1 or more"),
    ({"fail_next": ["get_alias:drop"]}, "fail_next[0].operation: must be"),
    (
        {"fail_next": [{"operation": "GetAlias", "code": "Boom"}]},
        "fail_next[0].code: must be one of TooManyRequestsException",
    ),
    (
        {"fail_next": [{"operation": "GetAlias", "code": "drop", "count": 0}]},
        "fail_next[0].count: must be 1 or more",
    ),
    (
        {"fail_next": [{"operation": "GetAlias", "code": "drop", "times": 2}]},
        "fail_next[0].times: no such key",
    ),
    ({"propagation_seconds": None}, "propagation_seconds: must be a number"),
    ({"no_such_knob": 1}, "no_such_knob: no such setting; known: latency_ms"),
]


@pytest.mark.parametrize(("changes", "reason"), BAD_SETTINGS)
def test_bad_settings_are_refused_with_the_reason(
    world: SandboxHandle, changes: dict[str, Any], reason: str
) -> None:
    before = world.settings()
    with pytest.raises(SandboxAdminError) as caught:
        world.settings(**changes)
    assert caught.value.status == 400
    assert reason in caught.value.body
    assert world.settings() == before


def test_settings_that_are_not_a_json_object_are_refused(
    world: SandboxHandle,
) -> None:
    for body in (b"[1]", b"{not json"):
        with pytest.raises(SandboxAdminError) as caught:
            world._admin("POST", "/_eic/settings", body)
        assert caught.value.status == 400


FLAGS = [
    *("--latency-ms", "5", "--rate-limit", "7.5"),
    *("--fault", "throttle=0.1", "--fault", "drop=0.05", "--fault-seed", "3"),
    *("--slow-ms", "100", "--fault-operation", "ListFunctions"),
    *("--fail-next", "GetFunction:ServiceException:2", "--fail-next", "GetAlias:drop"),
    *("--propagation-seconds", "1.5"),
]


def test_flags_set_the_settings_that_delete_returns_to() -> None:
    handle = start_sandbox(*FLAGS)
    try:
        expected = {
            "latency_ms": 5,
            "rate_limit": 7.5,
            "faults": {**NO_FAULTS, "throttle": 0.1, "drop": 0.05},
            "fault_seed": 3,
            "slow_ms": 100,
            "fault_operations": ["ListFunctions"],
            "fail_next": [
                {"operation": "GetFunction", "code": "ServiceException", "count": 2},
                {"operation": "GetAlias", "code": "drop", "count": 1},
            ],
            "propagation_seconds": 1.5,
        }
        assert handle.settings() == expected
        handle.settings(rate_limit=0, fail_next=[])
        assert handle.reset_settings() == expected
    finally:
        stop_sandbox(handle)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fault", "throttle=2"], "--fault (faults.throttle): must be from 0 to 1"),
        (["--rate-limit", "-3"], "--rate-limit (rate_limit): must be a number"),
        (["--fail-next", "GetAlias:Oops"], "--fail-next (fail_next[0].code)"),
        (["--fail-next", "GetAlias"], "--fail-next (fail_next[0]): 'GetAlias' is not"),
        (["--fault", "drop"], "is not KIND=RATE"),
    ],
)
def test_a_bad_flag_is_one_clear_error(flags: list[str], message: str) -> None:
    env = {**os.environ, **DUMMY_ENV, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", *flags],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- Rate limit ----------------------------------------------------------------


def lambda_reads(lam: Any) -> list[Callable[[], Any]]:
    """One of each Lambda read: they all draw on one budget."""
    return [
        lambda: lam.list_functions(),
        lambda: lam.get_function(FunctionName="fn"),
        lambda: lam.get_function_configuration(FunctionName="fn"),
        lambda: lam.get_alias(FunctionName="fn", Name="live"),
        lambda: lam.list_aliases(FunctionName="fn"),
        lambda: lam.list_versions_by_function(FunctionName="fn"),
        lambda: lam.get_function_event_invoke_config(FunctionName="fn"),
        lambda: lam.list_function_event_invoke_configs(FunctionName="fn"),
    ]


def test_a_burst_above_the_rate_is_throttled(lam: Any, world: SandboxHandle) -> None:
    world.settings(rate_limit=4)
    calls = lambda_reads(lam) + [lambda: put(lam, MaximumRetryAttempts=1)]
    outcomes = [outcome(call) for call in calls]
    # The bucket holds one second's worth; a burst this short refills little.
    assert outcomes[:4] == ["ok"] * 4
    assert outcomes.count("429 TooManyRequestsException") >= len(calls) - 5
    assert set(outcomes) == {"ok", "429 TooManyRequestsException"}


def test_a_throttled_answer_is_lambdas(lam: Any, world: SandboxHandle) -> None:
    world.settings(rate_limit=2)
    lam.list_functions()
    lam.list_functions()
    error = refused(lam.list_functions)
    headers = error.response["ResponseMetadata"]["HTTPHeaders"]
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert error.response["Error"] == {
        "Code": "TooManyRequestsException",
        "Message": "Rate exceeded",
    }
    assert error.response["Reason"] == "CallerRateLimitExceeded"
    assert error.response["Type"] == "User"
    wait = float(headers["retry-after"])
    assert 0 < wait <= 0.5
    time.sleep(wait)
    lam.list_functions()  # the wait it named was enough


def test_a_client_pacing_at_the_rate_is_never_throttled(
    lam: Any, world: SandboxHandle
) -> None:
    rate = 10
    world.settings(rate_limit=rate)
    started = time.monotonic()
    # Half again the bucket: passes only because it refills at the rate.
    for index in range(rate * 3 // 2):
        time.sleep(max(0.0, started + index / rate - time.monotonic()))
        lam.get_function_event_invoke_config(FunctionName="fn")
    assert world.stats()["throttled"] == 0


def test_each_region_has_its_own_budget_and_only_lambda_has_one(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(rate_limit=1)
    lam.list_functions()
    assert outcome(lam.list_functions) == "429 TooManyRequestsException"
    world.client("lambda", "us-east-1").list_functions()
    sqs = world.client("sqs")
    for _ in range(3):
        sqs.list_queues()
    assert world.stats()["throttled"] == 1


# --- Latency -------------------------------------------------------------------


def test_latency_is_waited_by_concurrent_clients_together(
    lam: Any, world: SandboxHandle
) -> None:
    latency, clients = 0.4, 5
    world.settings(latency_ms=int(latency * 1000))
    elapsed: list[float] = []

    def timed() -> None:
        started = time.monotonic()
        lam.list_functions()
        elapsed.append(time.monotonic() - started)

    threads = [threading.Thread(target=timed) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(elapsed) == clients
    assert min(elapsed) >= latency
    # One after another would take clients * latency.
    assert time.monotonic() - started < 2 * latency


# --- Faults by rate and seed ---------------------------------------------------

FAULT_OUTCOMES = {
    "throttle": "429 TooManyRequestsException",
    "error": "500 ServiceException",
    "conflict": "409 ResourceConflictException",
    "slow": "slow",
    "drop": "dropped",
}
SLOW_MS = 80


def fault_run(world: SandboxHandle, lam: Any, kind: str, seed: int) -> list[str]:
    world.settings(faults={kind: 0.4}, fault_seed=seed, slow_ms=SLOW_MS)
    return [
        outcome(lambda: put(lam, MaximumRetryAttempts=1), SLOW_MS / 1000)
        for _ in range(16)
    ]


@pytest.mark.parametrize("kind", list(FAULT_OUTCOMES))
def test_faults_by_rate_repeat_with_their_seed(
    lam: Any, world: SandboxHandle, kind: str
) -> None:
    first = fault_run(world, lam, kind, seed=7)
    second = fault_run(world, lam, kind, seed=7)
    assert first == second
    assert set(first) == {"ok", FAULT_OUTCOMES[kind]}
    assert world.stats()["faults"][kind] == 2 * first.count(FAULT_OUTCOMES[kind])


def test_another_seed_draws_other_faults(lam: Any, world: SandboxHandle) -> None:
    assert fault_run(world, lam, "error", seed=1) != fault_run(
        world, lam, "error", seed=2
    )


@pytest.mark.parametrize("kind", ["throttle", "error", "conflict", "drop"])
def test_a_faulted_write_changes_nothing(
    lam: Any, world: SandboxHandle, kind: str
) -> None:
    before = lam.get_function_event_invoke_config(FunctionName="fn")
    world.settings(faults={kind: 1.0}, fault_operations=WRITES)
    writes = [
        lambda: put(lam, MaximumRetryAttempts=2),
        lambda: lam.update_function_event_invoke_config(
            FunctionName="fn", MaximumEventAgeInSeconds=60
        ),
        lambda: lam.delete_function_event_invoke_config(FunctionName="fn"),
        lambda: put(lam, MaximumRetryAttempts=2, Qualifier="live"),
    ]
    assert [outcome(write) for write in writes] == [FAULT_OUTCOMES[kind]] * 4
    world.reset_settings()
    after = lam.get_function_event_invoke_config(FunctionName="fn")
    assert after["LastModified"] == before["LastModified"]
    assert after["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in after
    assert lam.list_function_event_invoke_configs(FunctionName="fn")[
        "FunctionEventInvokeConfigs"
    ] == [{k: v for k, v in before.items() if k != "ResponseMetadata"}]


def test_a_conflict_names_the_function_and_spares_reads(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(faults={"conflict": 1.0})
    for read in lambda_reads(lam):
        read()
    error = refused(lambda: put(lam, MaximumRetryAttempts=1, Qualifier="live"))
    assert error.response["Error"] == {
        "Code": "ResourceConflictException",
        "Message": "The operation cannot be performed at this time. An update is "
        f"in progress for resource: {FN_ARN}",
    }


def test_fault_operations_choose_what_is_faulted(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(faults={"error": 1.0}, fault_operations=["ListAliases"])
    lam.list_functions()
    assert outcome(lambda: lam.list_aliases(FunctionName="fn")) == (
        "500 ServiceException"
    )


def test_caller_identity_is_not_faulted_unless_named(world: SandboxHandle) -> None:
    sts = world.client("sts")
    world.settings(faults={"error": 1.0})
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    assert outcome(world.client("lambda").list_functions) == "500 ServiceException"
    world.settings(fault_operations=["GetCallerIdentity"])
    assert outcome(sts.get_caller_identity) == "500 ServiceException"


# --- fail_next -----------------------------------------------------------------


def test_fail_next_fails_exactly_once_then_succeeds(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(
        fail_next=[
            {
                "operation": "PutFunctionEventInvokeConfig",
                "code": "ResourceConflictException",
            }
        ]
    )
    assert outcome(lambda: put(lam, MaximumRetryAttempts=2)) == (
        "409 ResourceConflictException"
    )
    assert (
        lam.get_function_event_invoke_config(FunctionName="fn")["MaximumRetryAttempts"]
        == 0
    )
    put(lam, MaximumRetryAttempts=2)
    assert world.settings()["fail_next"] == []
    assert world.stats()["faults"]["conflict"] == 1


def test_fail_next_takes_the_flag_spelling_too(lam: Any, world: SandboxHandle) -> None:
    shown = world.settings(
        fail_next=[
            "GetAlias:TooManyRequestsException",
            {"operation": "ListAliases", "code": "drop"},
            "GetAlias:ServiceException:2",
        ]
    )
    assert shown["fail_next"] == [
        {"operation": "GetAlias", "code": "TooManyRequestsException", "count": 1},
        {"operation": "ListAliases", "code": "drop", "count": 1},
        {"operation": "GetAlias", "code": "ServiceException", "count": 2},
    ]

    def get_alias() -> Any:
        return lam.get_alias(FunctionName="fn", Name="live")

    assert [outcome(get_alias) for _ in range(4)] == [
        "429 TooManyRequestsException",
        "500 ServiceException",
        "500 ServiceException",
        "ok",
    ]


def test_fail_next_entries_are_used_in_order(lam: Any, world: SandboxHandle) -> None:
    world.settings(
        fail_next=[
            {"operation": "GetAlias", "code": "TooManyRequestsException"},
            {"operation": "ListAliases", "code": "ServiceException"},
            {"operation": "GetAlias", "code": "ServiceException", "count": 2},
        ]
    )

    def get_alias() -> Any:
        return lam.get_alias(FunctionName="fn", Name="live")

    assert outcome(get_alias) == "429 TooManyRequestsException"
    assert world.settings()["fail_next"] == [
        {"operation": "ListAliases", "code": "ServiceException", "count": 1},
        {"operation": "GetAlias", "code": "ServiceException", "count": 2},
    ]
    assert [outcome(get_alias) for _ in range(3)] == [
        "500 ServiceException",
        "500 ServiceException",
        "ok",
    ]
    assert outcome(lambda: lam.list_aliases(FunctionName="fn")) == (
        "500 ServiceException"
    )


def test_a_dropped_request_gets_no_answer_and_the_server_serves_on(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(
        fail_next=[{"operation": "ListFunctions", "code": "drop", "count": 3}]
    )
    for _ in range(3):
        with pytest.raises(ConnectionClosedError):
            lam.list_functions()
        lam.get_function(FunctionName="fn")
    lam.list_functions()
    assert world.stats()["faults"]["drop"] == 3
    assert world._admin("GET", "/_eic/health")["status"] == "ok"


PROTOCOL_CALLS = [
    pytest.param("sqs", "ListQueues", lambda c: c.list_queues(), id="sqs-json"),
    pytest.param("sns", "ListTopics", lambda c: c.list_topics(), id="sns-query"),
    pytest.param("iam", "ListRoles", lambda c: c.list_roles(), id="iam-query"),
    pytest.param("s3", "ListBuckets", lambda c: c.list_buckets(), id="s3-rest-xml"),
    pytest.param(
        "events", "ListEventBuses", lambda c: c.list_event_buses(), id="events-json"
    ),
]


@pytest.mark.parametrize(("service", "operation", "call"), PROTOCOL_CALLS)
def test_faults_of_other_services_speak_their_protocol(
    world: SandboxHandle, service: str, operation: str, call: Callable[[Any], Any]
) -> None:
    client = world.client(service, "us-east-1")
    world.settings(
        fail_next=[
            {"operation": operation, "code": "TooManyRequestsException"},
            {"operation": operation, "code": "ServiceException"},
        ]
    )
    throttle = refused(lambda: call(client))
    assert throttle.response["Error"]["Code"] == "TooManyRequestsException"
    assert throttle.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert throttle.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]
    error = refused(lambda: call(client))
    assert error.response["Error"]["Code"] == "ServiceException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    call(client)


# --- IAM propagation -----------------------------------------------------------

WINDOW = 0.8


def no_permission(verb: str, arn: str) -> str:
    return (
        f"The function's execution role does not have permissions to call {verb} "
        f"on {arn}"
    )


PROPAGATION_CASES = [
    (QUEUE, no_permission("SendMessage", QUEUE)),
    (TOPIC, no_permission("Publish", TOPIC)),
    (BUS, no_permission("PutEvents", BUS)),
    (BUCKET, no_permission("PutObject", BUCKET)),
    (HANDLER, f"The destination ARN {HANDLER} is invalid."),
    (f"{HANDLER}:$LATEST", f"The destination ARN {HANDLER}:$LATEST is invalid."),
]


def refusals(lam: Any, arns: list[str]) -> list[str | None]:
    found: list[str | None] = []
    for arn in arns:
        try:
            put(lam, DestinationConfig={"OnFailure": {"Destination": arn}})
            found.append(None)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidParameterValueException"
            found.append(error.response["Error"]["Message"])
    return found


def test_new_destinations_are_refused_while_iam_propagates(
    lam: Any, world: SandboxHandle
) -> None:
    world.load_world(WORLD)
    loaded = time.monotonic()
    world.settings(propagation_seconds=WINDOW)
    arns = [arn for arn, _ in PROPAGATION_CASES]
    assert refusals(lam, arns) == [message for _, message in PROPAGATION_CASES]
    assert world.stats()["faults"]["propagation"] == len(arns)
    time.sleep(max(0.0, loaded + WINDOW - time.monotonic()))
    assert refusals(lam, arns) == [None] * len(arns)


def test_after_the_window_the_usual_checks_apply(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(propagation_seconds=0.01)
    time.sleep(0.02)
    missing = HANDLER.replace("fn-handler", "never-created")
    assert refusals(lam, [missing, HANDLER]) == [
        f"The destination ARN {missing} is invalid.",
        None,
    ]


def test_destinations_made_through_the_api_propagate_too(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(propagation_seconds=WINDOW)
    time.sleep(WINDOW)  # the world's own destinations have settled
    role = lam.get_function(FunctionName="fn")["Configuration"]["Role"]
    bucket_place = {"LocationConstraint": REGION}
    makers: list[tuple[str, Callable[[], Any]]] = [
        (
            QUEUE.replace("q-fail", "q-new"),
            lambda: world.client("sqs").create_queue(QueueName="q-new"),
        ),
        (
            TOPIC.replace("t-fail", "t-new"),
            lambda: world.client("sns").create_topic(Name="t-new"),
        ),
        (
            BUS.replace("bus-a", "bus-new"),
            lambda: world.client("events").create_event_bus(Name="bus-new"),
        ),
        (
            "arn:aws:s3:::b-new",
            lambda: world.client("s3").create_bucket(
                Bucket="b-new", CreateBucketConfiguration=bucket_place
            ),
        ),
        (
            HANDLER.replace("fn-handler", "fn-new"),
            lambda: lam.create_function(
                FunctionName="fn-new",
                Runtime="python3.12",
                Role=role,
                Handler="index.handler",
                Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            ),
        ),
    ]
    made = time.monotonic()
    for arn, make in makers:
        make()
        made = time.monotonic()
        assert refusals(lam, [arn]) != [None], arn
    assert refusals(lam, [QUEUE, HANDLER]) == [None, None]
    time.sleep(max(0.0, made + WINDOW - time.monotonic()))
    new = [arn for arn, _ in makers]
    assert refusals(lam, new) == [None] * len(new)


# --- Unknown regions -----------------------------------------------------------


def retrying_client(world: SandboxHandle, service: str, region: str) -> Any:
    """A client that retries as botocore does by default, unlike world.client."""
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=world.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("lambda", "list_functions", "InvalidSignatureException"),
        ("sns", "list_topics", "SignatureDoesNotMatch"),
    ],
)
@pytest.mark.parametrize("region", ["EU", "eu-west-99"])
def test_a_request_for_an_unknown_region_is_refused_once_not_retried(
    world: SandboxHandle, service: str, call: str, code: str, region: str
) -> None:
    # AWS refuses a credential scoped to a region it does not have (a 403).
    client = retrying_client(world, service, region)
    with pytest.raises(ClientError) as caught:
        getattr(client, call)()
    answer = caught.value.response
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"]) == (
        403,
        {
            "Code": code,
            "Message": f"Credential should be scoped to a valid region, not '{region}'.",
            **({"Type": "Sender"} if service == "sns" else {}),
        },
    )
    assert answer["ResponseMetadata"]["RetryAttempts"] == 0
    assert sum(world.calls().values()) == 1


# --- Stats ---------------------------------------------------------------------


def test_stats_count_every_request_and_each_refusal(
    lam: Any, world: SandboxHandle
) -> None:
    world.settings(
        rate_limit=3,
        propagation_seconds=60,
        fail_next=[
            {"operation": "ListFunctions", "code": "ServiceException"},
            {"operation": "ListFunctions", "code": "drop"},
        ],
    )
    outcomes = [outcome(lam.list_functions) for _ in range(2)]
    outcomes.append(
        outcome(
            lambda: put(lam, DestinationConfig={"OnFailure": {"Destination": QUEUE}})
        )
    )
    outcomes.append(outcome(lam.list_functions))
    assert outcomes == [
        "500 ServiceException",
        "dropped",
        "400 InvalidParameterValueException",
        "429 TooManyRequestsException",
    ]
    world.client("sqs").list_queues()
    calls = {"ListFunctions": 3, "ListQueues": 1, "PutFunctionEventInvokeConfig": 1}
    assert world.calls() == calls
    assert world.stats() == {
        "calls": calls,
        "throttled": 1,
        "faults": {
            "throttle": 0,
            "error": 1,
            "conflict": 0,
            "slow": 0,
            "drop": 1,
            "propagation": 1,
        },
    }
    world.reset_calls()
    assert world.stats() == {
        "calls": {},
        "throttled": 0,
        "faults": dict.fromkeys(
            ["throttle", "error", "conflict", "slow", "drop", "propagation"], 0
        ),
    }
