"""The sandbox's async-config API against aws-lambda-async-config.md.

Every test talks to the sandbox over HTTP through boto3, the way `eic` does.
Names follow cases.md: function `fn` with versions 1 and 2 and aliases
`live` -> 1 and `beta` -> 2; destinations `q-fail`, `t-fail`, `bus-a`,
`fn-handler` and `b-fail`.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
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
NO_SETTINGS = "You must specify at least one of error handling or destination setting."
MISMATCH = (
    "The derived qualifier from the function name does not match the specified "
    "qualifier."
)

CASES_WORLD: dict[str, Any] = {
    "account": ACCOUNT,
    "region": REGION,
    "functions": [
        {"name": "fn", "versions": 2, "aliases": {"live": "1", "beta": 2}},
        {"name": "fn-handler"},
        {"name": "fresh"},
    ],
    "queues": ["q-fail", "q-fail.fifo"],
    "topics": ["t-fail"],
    "buses": ["bus-a"],
    "buckets": ["b-fail"],
}


@pytest.fixture
def lam(world: SandboxHandle) -> Any:
    """A Lambda client on the world of cases.md, with no configs yet."""
    world.load_world(CASES_WORLD)
    world.reset_calls()
    return world.client("lambda")


def refused(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def error_of(error: ClientError) -> tuple[int, str, str]:
    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
    return status, error.response["Error"]["Code"], error.response["Error"]["Message"]


def no_config(qualifier: str, name: str = "fn") -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:{qualifier}"
    return f"The function {arn} doesn't have an EventInvokeConfig"


def settings(config: dict[str, Any]) -> dict[str, Any]:
    """A config without the response metadata and LastModified."""
    return {
        k: v for k, v in config.items() if k not in ("ResponseMetadata", "LastModified")
    }


def failure_to(arn: str) -> dict[str, Any]:
    return {"OnFailure": {"Destination": arn}}


def success_to(arn: str) -> dict[str, Any]:
    return {"OnSuccess": {"Destination": arn}}


# --- Put and Update ----------------------------------------------------------


def test_put_replaces_the_whole_config(lam: Any) -> None:
    lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60
    )
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    assert got["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in got


def test_update_merges_top_level_fields(lam: Any) -> None:
    lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60
    )
    updated = lam.update_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=0
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    assert (got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]) == (0, 60)
    assert settings(updated) == settings(got)


def test_update_replaces_the_whole_destination_config_it_carries(lam: Any) -> None:
    both = {**success_to(BUS), **failure_to(QUEUE)}
    lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=1, DestinationConfig=both
    )
    lam.update_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=failure_to(TOPIC)
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    assert got["DestinationConfig"] == {"OnSuccess": {}, **failure_to(TOPIC)}
    assert got["MaximumRetryAttempts"] == 1


def test_update_without_a_config_is_not_found(lam: Any) -> None:
    error = refused(
        lambda: lam.update_function_event_invoke_config(
            FunctionName="fn", Qualifier="live", MaximumRetryAttempts=1
        )
    )
    assert error_of(error) == (404, "ResourceNotFoundException", no_config("live"))


@pytest.mark.parametrize("operation", ["put", "update"])
def test_a_write_without_settings_is_refused_before_the_lookup(
    lam: Any, operation: str
) -> None:
    write = getattr(lam, f"{operation}_function_event_invoke_config")
    error = refused(lambda: write(FunctionName="no-such-function"))
    assert error_of(error) == (400, "InvalidParameterValueException", NO_SETTINGS)


def test_putting_the_same_values_changes_only_last_modified(lam: Any) -> None:
    first = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=1, DestinationConfig=failure_to(QUEUE)
    )
    second = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=1, DestinationConfig=failure_to(QUEUE)
    )
    assert settings(first) == settings(second)
    assert second["LastModified"] > first["LastModified"]


def test_an_empty_success_half_is_accepted_and_means_none(lam: Any) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={"OnSuccess": {}, **failure_to(QUEUE)}
    )
    assert put["DestinationConfig"] == {"OnSuccess": {}, **failure_to(QUEUE)}


def test_a_put_without_one_destination_removes_it(lam: Any) -> None:
    both = {**success_to(BUS), **failure_to(QUEUE)}
    lam.put_function_event_invoke_config(FunctionName="fn", DestinationConfig=both)
    lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=success_to(BUS)
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    assert got["DestinationConfig"] == {**success_to(BUS), "OnFailure": {}}


# --- What reads return -------------------------------------------------------


def test_settings_never_set_are_omitted_from_every_answer(lam: Any) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=failure_to(QUEUE)
    )
    updated = lam.update_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=failure_to(TOPIC)
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    for answer in [put, updated, got, *listed["FunctionEventInvokeConfigs"]]:
        assert "MaximumRetryAttempts" not in answer
        assert "MaximumEventAgeInSeconds" not in answer


def test_destination_config_always_has_both_halves(lam: Any) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=2
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    expected = {"OnSuccess": {}, "OnFailure": {}}
    assert put["DestinationConfig"] == got["DestinationConfig"] == expected


@pytest.mark.parametrize("qualifier", [None, "$LATEST", "1", "live"])
def test_function_arn_is_always_qualified(lam: Any, qualifier: str | None) -> None:
    where = {"Qualifier": qualifier} if qualifier else {}
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=0, **where
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn", **where)
    expected = f"{FN_ARN}:{qualifier or '$LATEST'}"
    assert put["FunctionArn"] == got["FunctionArn"] == expected


def test_last_modified_is_a_recent_timestamp(lam: Any) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=0
    )
    age = datetime.datetime.now(datetime.UTC) - put["LastModified"]
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=1)


# --- Identity ----------------------------------------------------------------


def test_unqualified_is_latest(lam: Any) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=1
    )
    assert put["FunctionArn"] == f"{FN_ARN}:$LATEST"
    plain = lam.get_function_event_invoke_config(FunctionName="fn")
    latest = lam.get_function_event_invoke_config(
        FunctionName="fn", Qualifier="$LATEST"
    )
    assert settings(plain) == settings(latest)
    lam.delete_function_event_invoke_config(FunctionName="fn", Qualifier="$LATEST")
    error = refused(lambda: lam.get_function_event_invoke_config(FunctionName="fn"))
    assert error_of(error)[1] == "ResourceNotFoundException"


def test_each_version_and_alias_has_its_own_config(lam: Any) -> None:
    for qualifier, retries in [("$LATEST", 0), ("1", 1), ("live", 2), ("beta", 0)]:
        lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier, MaximumRetryAttempts=retries
        )
    for qualifier, retries in [("$LATEST", 0), ("1", 1), ("live", 2), ("beta", 0)]:
        got = lam.get_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier
        )
        assert got["MaximumRetryAttempts"] == retries
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert len(listed["FunctionEventInvokeConfigs"]) == 4


def test_publishing_a_version_copies_no_config(lam: Any) -> None:
    lam.put_function_event_invoke_config(FunctionName="fresh", MaximumRetryAttempts=0)
    version = lam.publish_version(FunctionName="fresh")["Version"]
    error = refused(
        lambda: lam.get_function_event_invoke_config(
            FunctionName="fresh", Qualifier=version
        )
    )
    assert error_of(error) == (
        404,
        "ResourceNotFoundException",
        no_config(version, "fresh"),
    )
    listed = lam.list_function_event_invoke_configs(FunctionName="fresh")
    arns = [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]]
    assert arns == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fresh:$LATEST"]


@pytest.mark.parametrize(
    ("spelling", "qualifier"),
    [
        ("fn", "live"),
        ("fn:live", None),
        ("fn:live", "live"),
        (FN_ARN, "live"),
        (f"{FN_ARN}:live", None),
        (f"{ACCOUNT}:function:fn", "live"),
        (f"{ACCOUNT}:function:fn:live", None),
    ],
)
def test_every_name_spelling_names_one_config(
    lam: Any, spelling: str, qualifier: str | None
) -> None:
    where = {"Qualifier": qualifier} if qualifier else {}
    lam.put_function_event_invoke_config(
        FunctionName=spelling, MaximumRetryAttempts=1, **where
    )
    got = lam.get_function_event_invoke_config(FunctionName="fn", Qualifier="live")
    assert got["FunctionArn"] == f"{FN_ARN}:live"
    again = lam.get_function_event_invoke_config(FunctionName=spelling, **where)
    assert settings(again) == settings(got)
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert len(listed["FunctionEventInvokeConfigs"]) == 1


@pytest.mark.parametrize("operation", ["put", "update", "get", "delete"])
@pytest.mark.parametrize("spelling", ["fn:live", f"{FN_ARN}:live"])
def test_a_qualifier_differing_from_the_name_is_refused(
    lam: Any, operation: str, spelling: str
) -> None:
    call = getattr(lam, f"{operation}_function_event_invoke_config")
    extra = {"MaximumRetryAttempts": 1} if operation in ("put", "update") else {}
    error = refused(lambda: call(FunctionName=spelling, Qualifier="beta", **extra))
    assert error_of(error) == (400, "InvalidParameterValueException", MISMATCH)


@pytest.mark.parametrize("operation", ["put", "update"])
@pytest.mark.parametrize(
    ("name", "qualifier"),
    [("no-such-function", None), ("fn", "7"), ("fn", "gamma"), ("fn:gamma", None)],
)
def test_a_write_to_a_missing_function_version_or_alias_is_not_found(
    lam: Any, operation: str, name: str, qualifier: str | None
) -> None:
    write = getattr(lam, f"{operation}_function_event_invoke_config")
    where = {"Qualifier": qualifier} if qualifier else {}
    error = refused(lambda: write(FunctionName=name, MaximumRetryAttempts=1, **where))
    expected = (404, "ResourceNotFoundException", "The function doesn't exist.")
    assert error_of(error) == expected


@pytest.mark.parametrize("operation", ["get", "delete"])
@pytest.mark.parametrize(
    ("name", "qualifier"),
    [("fn", None), ("fn", "live"), ("fn", "gamma"), ("no-such-function", "1")],
)
def test_reading_a_missing_config_is_not_found(
    lam: Any, operation: str, name: str, qualifier: str | None
) -> None:
    call = getattr(lam, f"{operation}_function_event_invoke_config")
    where = {"Qualifier": qualifier} if qualifier else {}
    error = refused(lambda: call(FunctionName=name, **where))
    expected = no_config(qualifier or "$LATEST", name)
    assert error_of(error) == (404, "ResourceNotFoundException", expected)


def test_delete_answers_204_and_removes_only_that_config(lam: Any) -> None:
    for qualifier in ("live", "beta"):
        lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier, MaximumRetryAttempts=0
        )
    deleted = lam.delete_function_event_invoke_config(
        FunctionName="fn", Qualifier="live"
    )
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    arns = [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]]
    assert arns == [f"{FN_ARN}:beta"]


def test_an_arn_of_another_region_is_not_reachable(lam: Any) -> None:
    other = FN_ARN.replace(REGION, "us-east-1")
    error = refused(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=other, MaximumRetryAttempts=0
        )
    )
    status, code, message = error_of(error)
    assert (status, code) == (404, "ResourceNotFoundException")
    assert "not reachable in this region" in message


def test_an_arn_of_another_account_finds_no_function(lam: Any) -> None:
    other = FN_ARN.replace(ACCOUNT, "999999999999")
    error = refused(
        lambda: lam.put_function_event_invoke_config(
            FunctionName=other, MaximumRetryAttempts=0
        )
    )
    assert error_of(error)[2] == "The function doesn't exist."


# --- List --------------------------------------------------------------------


def test_list_on_a_missing_function_is_not_found(lam: Any) -> None:
    error = refused(
        lambda: lam.list_function_event_invoke_configs(FunctionName="no-such-function")
    )
    expected = (404, "ResourceNotFoundException", "The function doesn't exist.")
    assert error_of(error) == expected


def test_list_of_a_function_without_configs_is_empty(lam: Any) -> None:
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert listed["FunctionEventInvokeConfigs"] == []
    assert "NextMarker" not in listed


PAGING_WORLD = {
    "functions": [
        {"name": "many", "versions": 6, "aliases": {"a1": "1", "b2": "2", "c3": "3"}},
    ],
    "event_invoke_configs": [
        {"function_name": "many", "qualifier": q, "maximum_retry_attempts": 1}
        for q in ["$LATEST", 1, 2, 3, 4, 5, 6, "a1", "b2", "c3"]
    ],
}


def test_list_is_sorted_by_function_arn(world: SandboxHandle) -> None:
    world.load_world(PAGING_WORLD)
    listed = world.client("lambda").list_function_event_invoke_configs(
        FunctionName="many"
    )
    arns = [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]]
    assert len(arns) == 10
    assert arns == sorted(arns)


@pytest.mark.parametrize("page_size", [1, 3, 10])
def test_list_pages_with_markers(world: SandboxHandle, page_size: int) -> None:
    world.load_world(PAGING_WORLD)
    lam = world.client("lambda")
    pages, marker = [], None
    while True:
        extra = {"Marker": marker} if marker else {}
        page = lam.list_function_event_invoke_configs(
            FunctionName="many", MaxItems=page_size, **extra
        )
        pages.append([c["FunctionArn"] for c in page["FunctionEventInvokeConfigs"]])
        marker = page.get("NextMarker")
        if marker is None:
            break
    everything = [arn for page in pages for arn in page]
    assert everything == sorted(everything) and len(set(everything)) == 10
    assert all(len(page) == page_size for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= page_size


def test_list_max_items_defaults_to_and_allows_50(world: SandboxHandle) -> None:
    world.load_world(PAGING_WORLD)
    lam = world.client("lambda")
    default = lam.list_function_event_invoke_configs(FunctionName="many")
    fifty = lam.list_function_event_invoke_configs(FunctionName="many", MaxItems=50)
    assert len(default["FunctionEventInvokeConfigs"]) == 10
    assert default["FunctionEventInvokeConfigs"] == fifty["FunctionEventInvokeConfigs"]


def test_list_functions_pages_at_50_whatever_max_items_says(
    world: SandboxHandle,
) -> None:
    world.load_world({"functions": [{"name": f"f-{i:03}"} for i in range(120)]})
    lam = world.client("lambda")
    first = lam.list_functions(MaxItems=1000)
    assert len(first["Functions"]) == 50 and "NextMarker" in first
    assert len(lam.list_functions(MaxItems=7)["Functions"]) == 7
    world.reset_calls()
    pages = list(lam.get_paginator("list_functions").paginate())
    assert [len(p["Functions"]) for p in pages] == [50, 50, 20]
    names = [f["FunctionName"] for p in pages for f in p["Functions"]]
    assert sorted(names) == [f"f-{i:03}" for i in range(120)]
    assert world.calls() == {"ListFunctions": 3}


def test_versions_and_aliases_are_paged_too(world: SandboxHandle) -> None:
    aliases = {f"a{i}": str(i) for i in range(1, 4)}
    world.load_world({"functions": [{"name": "f", "versions": 60, "aliases": aliases}]})
    lam = world.client("lambda")
    versions = lam.get_paginator("list_versions_by_function").paginate(FunctionName="f")
    assert [len(p["Versions"]) for p in versions] == [50, 11]
    one = lam.list_aliases(FunctionName="f", MaxItems=1)
    assert len(one["Aliases"]) == 1
    rest = lam.list_aliases(FunctionName="f", Marker=one["NextMarker"])
    assert len(rest["Aliases"]) == 2 and "NextMarker" not in rest


def test_list_max_items_over_50_is_a_validation_error(lam: Any) -> None:
    error = refused(
        lambda: lam.list_function_event_invoke_configs(FunctionName="fn", MaxItems=51)
    )
    assert error_of(error)[:2] == (400, "ValidationException")


def test_list_max_items_under_1_is_refused_by_boto3(lam: Any) -> None:
    with pytest.raises(ParamValidationError):
        lam.list_function_event_invoke_configs(FunctionName="fn", MaxItems=0)


# --- Deleting what configs belong to -----------------------------------------


def test_deleting_a_function_removes_its_configs(lam: Any) -> None:
    for qualifier in ("$LATEST", "1", "live"):
        lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier, MaximumRetryAttempts=0
        )
    role = lam.get_function(FunctionName="fn")["Configuration"]["Role"]
    lam.delete_function(FunctionName="fn")
    lam.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert listed["FunctionEventInvokeConfigs"] == []


def test_deleting_a_version_removes_only_its_config(lam: Any) -> None:
    for qualifier in ("$LATEST", "2"):
        lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier, MaximumRetryAttempts=0
        )
    lam.delete_alias(FunctionName="fn", Name="beta")  # AWS refuses to delete
    lam.delete_function(FunctionName="fn", Qualifier="2")  # an aliased version
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    arns = [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]]
    assert arns == [f"{FN_ARN}:$LATEST"]


def test_deleting_an_alias_removes_its_config(lam: Any) -> None:
    for qualifier in ("live", "beta"):
        lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier=qualifier, MaximumRetryAttempts=0
        )
    lam.delete_alias(FunctionName="fn", Name="live")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    error = refused(
        lambda: lam.get_function_event_invoke_config(
            FunctionName="fn", Qualifier="live"
        )
    )
    assert error_of(error)[2] == no_config("live")
    lam.get_function_event_invoke_config(FunctionName="fn", Qualifier="beta")


# --- Ranges and patterns -----------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "where"),
    [
        ("MaximumRetryAttempts", 3, "maximumRetryAttempts"),
        ("MaximumEventAgeInSeconds", 21601, "maximumEventAgeInSeconds"),
    ],
)
@pytest.mark.parametrize("operation", ["put", "update"])
def test_values_over_the_maximum_are_validation_errors(
    lam: Any, operation: str, setting: str, value: int, where: str
) -> None:
    write = getattr(lam, f"{operation}_function_event_invoke_config")
    error = refused(lambda: write(FunctionName="fn", **{setting: value}))
    status, code, message = error_of(error)
    assert (status, code) == (400, "ValidationException")
    assert f"Value '{value}' at '{where}'" in message


@pytest.mark.parametrize(
    ("setting", "value"),
    [("MaximumRetryAttempts", -1), ("MaximumEventAgeInSeconds", 59)],
)
def test_values_under_the_minimum_are_refused_by_boto3(
    lam: Any, setting: str, value: int
) -> None:
    with pytest.raises(ParamValidationError):
        lam.put_function_event_invoke_config(FunctionName="fn", **{setting: value})


def test_the_ranges_include_their_bounds(lam: Any) -> None:
    for retries, age in [(0, 60), (2, 21600)]:
        put = lam.put_function_event_invoke_config(
            FunctionName="fn",
            MaximumRetryAttempts=retries,
            MaximumEventAgeInSeconds=age,
        )
        assert (put["MaximumRetryAttempts"], put["MaximumEventAgeInSeconds"]) == (
            retries,
            age,
        )


def test_a_queue_url_is_not_a_destination_arn(lam: Any) -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q-fail"
    error = refused(
        lambda: lam.put_function_event_invoke_config(
            FunctionName="fn", DestinationConfig=failure_to(url)
        )
    )
    status, code, message = error_of(error)
    assert (status, code) == (400, "ValidationException")
    assert "destinationConfig.onFailure.destination" in message


# --- Destinations ------------------------------------------------------------


@pytest.mark.parametrize(
    ("half", "arn"),
    [
        ("OnSuccess", QUEUE),
        ("OnFailure", QUEUE),
        ("OnSuccess", TOPIC),
        ("OnFailure", TOPIC),
        ("OnSuccess", BUS),
        ("OnFailure", BUS),
        ("OnSuccess", HANDLER),
        ("OnFailure", f"{HANDLER}:$LATEST"),
        ("OnFailure", BUCKET),
        ("OnFailure", f"{QUEUE}.fifo"),
    ],
)
def test_supported_destinations_are_accepted(lam: Any, half: str, arn: str) -> None:
    put = lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig={half: {"Destination": arn}}
    )
    assert put["DestinationConfig"][half] == {"Destination": arn}


def destination_refusal(lam: Any, config: dict[str, Any]) -> tuple[int, str, str]:
    error = refused(
        lambda: lam.put_function_event_invoke_config(
            FunctionName="fn", DestinationConfig=config
        )
    )
    return error_of(error)


def test_s3_is_not_a_success_destination(lam: Any) -> None:
    status, code, message = destination_refusal(lam, success_to(BUCKET))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("The provided destination config") and BUCKET in message


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t",
        f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s",
        "kafka://broker.example",
    ],
)
def test_an_unsupported_service_is_an_invalid_destination(lam: Any, arn: str) -> None:
    status, code, message = destination_refusal(lam, failure_to(arn))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("The provided destination config")
    assert message.endswith("is invalid.")


def test_a_missing_lambda_destination_is_invalid(lam: Any) -> None:
    missing = HANDLER.replace("fn-handler", "no-such-function")
    expected = f"The destination ARN {missing} is invalid."
    refusal = destination_refusal(lam, failure_to(missing))
    assert refusal == (400, "InvalidParameterValueException", expected)


@pytest.mark.parametrize("arn", [FN_ARN, f"{FN_ARN}:live"])
def test_a_function_cannot_be_its_own_destination(lam: Any, arn: str) -> None:
    expected = "You can't specify the function as a destination for itself."
    refusal = destination_refusal(lam, success_to(arn))
    assert refusal == (400, "InvalidParameterValueException", expected)


def test_update_checks_the_destinations_it_carries(lam: Any) -> None:
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1)
    error = refused(
        lambda: lam.update_function_event_invoke_config(
            FunctionName="fn", DestinationConfig=success_to(BUCKET)
        )
    )
    assert error_of(error)[1] == "InvalidParameterValueException"


def iam_world(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        **CASES_WORLD,
        "iam_checks": True,
        "roles": [
            {
                "name": "fn-exec",
                "policies": [{"Version": "2012-10-17", "Statement": list(statements)}],
            }
        ],
        "functions": [
            {"name": "fn", "role": "fn-exec", "versions": 1, "aliases": {"live": 1}},
            {"name": "fn-handler"},
        ],
    }


def allow(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


IAM_CASES = [
    pytest.param([allow("sqs:SendMessage", QUEUE)], QUEUE, None, id="exact"),
    pytest.param(
        [allow("sqs:*", f"arn:aws:sqs:{REGION}:*:q-*")], QUEUE, None, id="star"
    ),
    pytest.param([allow("SQS:sendmessage", "*")], QUEUE, None, id="action-case"),
    pytest.param(
        [allow("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-fai?")],
        QUEUE,
        None,
        id="question-mark",
    ),
    pytest.param([allow("sqs:SendMessage", TOPIC)], QUEUE, "SendMessage", id="other"),
    pytest.param([allow("sqs:SendMessage", QUEUE)], TOPIC, "Publish", id="no-sns"),
    pytest.param([allow("sns:Publish", TOPIC)], TOPIC, None, id="sns"),
    pytest.param([allow("events:PutEvents", BUS)], BUS, None, id="events"),
    pytest.param([allow("lambda:InvokeFunction", HANDLER)], HANDLER, None, id="lambda"),
    pytest.param(
        [allow(["s3:PutObject", "s3:ListBucket"], [BUCKET, f"{BUCKET}/*"])],
        BUCKET,
        None,
        id="s3",
    ),
    pytest.param([allow("s3:PutObject", "*")], BUCKET, "ListBucket", id="s3-half"),
    pytest.param(
        [allow("sqs:*", "*"), {"Effect": "Deny", "Action": "sqs:*", "Resource": QUEUE}],
        QUEUE,
        "SendMessage",
        id="deny-wins",
    ),
    pytest.param(
        [
            {
                **allow("sqs:*", "*"),
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ],
        QUEUE,
        "SendMessage",
        id="condition-not-evaluated",
    ),
    pytest.param(
        [{"Effect": "Allow", "NotAction": "sns:*", "Resource": "*"}],
        QUEUE,
        None,
        id="not-action",
    ),
]


@pytest.mark.parametrize(("statements", "arn", "missing"), IAM_CASES)
def test_iam_checks_follow_the_execution_role_policies(
    world: SandboxHandle,
    statements: list[dict[str, Any]],
    arn: str,
    missing: str | None,
) -> None:
    world.load_world(iam_world(*statements))
    lam = world.client("lambda")

    def put() -> Any:
        return lam.put_function_event_invoke_config(
            FunctionName="fn", Qualifier="live", DestinationConfig=failure_to(arn)
        )

    if missing is None:
        put()
        return
    expected = (
        f"The function's execution role does not have permissions to call {missing} "
        f"on {arn}"
    )
    assert error_of(refused(put)) == (400, "InvalidParameterValueException", expected)


def test_iam_checks_deny_a_role_without_policies(world: SandboxHandle) -> None:
    world.load_world({**CASES_WORLD, "iam_checks": True})
    refusal = destination_refusal(world.client("lambda"), failure_to(QUEUE))
    assert "does not have permissions to call SendMessage" in refusal[2]


def test_iam_checks_see_policies_changed_through_iam(world: SandboxHandle) -> None:
    world.load_world({**CASES_WORLD, "iam_checks": True})
    lam, iam = world.client("lambda"), world.client("iam")
    role_name = lam.get_function(FunctionName="fn")["Configuration"]["Role"].split("/")[
        -1
    ]
    policy = {"Version": "2012-10-17", "Statement": [allow("sqs:SendMessage", QUEUE)]}
    iam.put_role_policy(
        RoleName=role_name, PolicyName="late", PolicyDocument=json.dumps(policy)
    )
    lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=failure_to(QUEUE)
    )


def test_without_iam_checks_any_well_formed_destination_passes(lam: Any) -> None:
    unknown_queue = QUEUE.replace("q-fail", "never-created")
    lam.put_function_event_invoke_config(
        FunctionName="fn", DestinationConfig=failure_to(unknown_queue)
    )


# --- Errors on the wire ------------------------------------------------------


def test_errors_carry_code_header_and_json_message(lam: Any) -> None:
    error = refused(lambda: lam.get_function_event_invoke_config(FunctionName="fn"))
    headers = error.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["content-type"] == "application/json"
    assert error.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": no_config("$LATEST"),
    }


# --- Faults of stock moto that must be absent --------------------------------


def test_a_second_put_replaces_rather_than_appends(lam: Any) -> None:
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1)
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert got["MaximumRetryAttempts"] == 1
    assert len(listed["FunctionEventInvokeConfigs"]) == 1


def test_the_qualifier_is_not_ignored(lam: Any) -> None:
    lam.put_function_event_invoke_config(
        FunctionName="fn", Qualifier="live", MaximumRetryAttempts=0
    )
    lam.put_function_event_invoke_config(
        FunctionName="fn", Qualifier="beta", MaximumRetryAttempts=2
    )
    live = lam.get_function_event_invoke_config(FunctionName="fn", Qualifier="live")
    beta = lam.get_function_event_invoke_config(FunctionName="fn", Qualifier="beta")
    listed = lam.list_function_event_invoke_configs(FunctionName="fn")
    assert (live["MaximumRetryAttempts"], beta["MaximumRetryAttempts"]) == (0, 2)
    assert len(listed["FunctionEventInvokeConfigs"]) == 2


def test_update_is_not_a_put(lam: Any) -> None:
    lam.put_function_event_invoke_config(
        FunctionName="fn",
        MaximumEventAgeInSeconds=300,
        DestinationConfig=failure_to(QUEUE),
    )
    lam.update_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1)
    got = lam.get_function_event_invoke_config(FunctionName="fn")
    assert settings(got) == {
        "FunctionArn": f"{FN_ARN}:$LATEST",
        "MaximumRetryAttempts": 1,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {"OnSuccess": {}, **failure_to(QUEUE)},
    }


# --- World files -------------------------------------------------------------


FULL_WORLD_YAML = f"""\
# yaml-language-server: $schema=../schemas/world.schema.json
account: "{ACCOUNT}"
region: {REGION}
iam_checks: false
roles:
  - name: orders-exec
    policies:
      - Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["sqs:SendMessage"]
            Resource: "arn:aws:sqs:{REGION}:{ACCOUNT}:orders-*"
functions:
  - name: orders-ingest
    role: orders-exec
    versions: 2
    aliases: {{live: "1", beta: "2"}}
  - name: orders-east
    region: us-east-1
queues: [orders-dlq, {{name: other, region: us-east-1}}]
topics: [orders-alerts]
buses: [orders-bus, default]
buckets: [orders-failures]
event_invoke_configs:
  - function_name: orders-ingest
    qualifier: live
    maximum_retry_attempts: 0
    maximum_event_age_in_seconds: 300
    destination_config:
      on_success:
        destination: "arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders-bus"
      on_failure: {{destination: "arn:aws:sqs:{REGION}:{ACCOUNT}:orders-dlq"}}
  - function_name: orders-ingest
    qualifier: 2
    destination_config:
      on_failure: {{destination: "arn:aws:lambda:{REGION}:{ACCOUNT}:function:gone"}}
  - function_name: orders-east
    region: us-east-1
    maximum_retry_attempts: 1
"""


def test_a_world_seeds_every_kind_of_resource(world: SandboxHandle) -> None:
    summary = world.load_world(FULL_WORLD_YAML)
    assert summary == {"roles": 1, "functions": 2, "event_invoke_configs": 3}
    lam = world.client("lambda")
    fn = lam.get_function(FunctionName="orders-ingest")["Configuration"]
    assert fn["Role"] == f"arn:aws:iam::{ACCOUNT}:role/orders-exec"
    versions = lam.list_versions_by_function(FunctionName="orders-ingest")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    aliases = lam.list_aliases(FunctionName="orders-ingest")["Aliases"]
    assert {a["Name"]: a["FunctionVersion"] for a in aliases} == {
        "live": "1",
        "beta": "2",
    }
    policy = world.client("iam").get_role_policy(
        RoleName="orders-exec", PolicyName="policy-1"
    )
    assert policy["PolicyDocument"]["Statement"][0]["Action"] == ["sqs:SendMessage"]
    assert world.client("sqs").get_queue_url(QueueName="orders-dlq")["QueueUrl"]
    assert world.client("sqs", "us-east-1").get_queue_url(QueueName="other")["QueueUrl"]
    topics = world.client("sns").list_topics()["Topics"]
    assert [t["TopicArn"].split(":")[-1] for t in topics] == ["orders-alerts"]
    buses = world.client("events").list_event_buses()["EventBuses"]
    assert {b["Name"] for b in buses} == {"default", "orders-bus"}
    buckets = world.client("s3").list_buckets()["Buckets"]
    assert [b["Name"] for b in buckets] == ["orders-failures"]
    east = world.client("lambda", "us-east-1")
    assert (
        east.get_function_event_invoke_config(FunctionName="orders-east")[
            "MaximumRetryAttempts"
        ]
        == 1
    )


def test_seeded_configs_read_back_and_skip_destination_checks(
    world: SandboxHandle,
) -> None:
    world.load_world(FULL_WORLD_YAML)
    lam = world.client("lambda")
    live = lam.get_function_event_invoke_config(
        FunctionName="orders-ingest", Qualifier="live"
    )
    assert settings(live) == {
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-ingest:live",
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 300,
        "DestinationConfig": {
            "OnSuccess": {
                "Destination": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders-bus"
            },
            "OnFailure": {"Destination": f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-dlq"},
        },
    }
    assert isinstance(live["LastModified"], datetime.datetime)
    gone = lam.get_function_event_invoke_config(FunctionName="orders-ingest:2")
    assert gone["DestinationConfig"]["OnFailure"]["Destination"].endswith(":gone")


def test_loading_a_world_replaces_all_state(world: SandboxHandle) -> None:
    world.load_world(CASES_WORLD)
    lam = world.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    world.load_world({"functions": [{"name": "fn"}]})
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["fn"]
    assert (
        lam.list_function_event_invoke_configs(FunctionName="fn")[
            "FunctionEventInvokeConfigs"
        ]
        == []
    )
    assert world.client("sqs").list_queues().get("QueueUrls", []) == []


ALLOW_ALL = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


BAD_WORLDS = [
    pytest.param({"unknown": 1}, "Additional properties", id="unknown-key"),
    pytest.param({"account": 111122223333}, "world.account", id="account-not-string"),
    pytest.param(
        {"functions": [{"name": "bad name"}]}, "world.functions[0]", id="name"
    ),
    pytest.param(
        {
            "functions": [{"name": "f"}],
            "event_invoke_configs": [
                {"function_name": "f", "maximum_retry_attempts": 5}
            ],
        },
        "maximum_retry_attempts",
        id="retries-range",
    ),
    pytest.param(
        {
            "functions": [{"name": "f"}],
            "event_invoke_configs": [{"function_name": "f"}],
        },
        "world.event_invoke_configs[0]: needs at least one of",
        id="no-settings",
    ),
    pytest.param(
        {"event_invoke_configs": [{"function_name": "f", "maximum_retry_attempts": 1}]},
        "no function f",
        id="unknown-function",
    ),
    pytest.param(
        {
            "functions": [{"name": "f"}],
            "event_invoke_configs": [
                {"function_name": "f", "qualifier": "live", "maximum_retry_attempts": 1}
            ],
        },
        "has no version or alias live",
        id="unknown-qualifier",
    ),
    pytest.param(
        {"functions": [{"name": "f", "versions": 1, "aliases": {"live": "2"}}]},
        "version 2 is not published",
        id="alias-to-missing-version",
    ),
    pytest.param(
        {"functions": [{"name": "f", "role": "nope"}]}, "no role named nope", id="role"
    ),
    pytest.param(
        {"functions": [{"name": "f"}, {"name": "f"}]}, "already declared", id="twice"
    ),
    pytest.param(
        {
            "functions": [{"name": "f"}],
            "event_invoke_configs": [
                {"function_name": "f", "maximum_retry_attempts": 1},
                {
                    "function_name": "f",
                    "qualifier": "$LATEST",
                    "maximum_retry_attempts": 0,
                },
            ],
        },
        "a second config",
        id="duplicate-config",
    ),
    pytest.param(
        {"account": "444455556666"}, "restart the sandbox with --account", id="account"
    ),
    pytest.param("functions: [", "not valid YAML", id="yaml-syntax"),
    pytest.param("- just a list", "a mapping", id="not-a-mapping"),
    pytest.param(
        {"roles": [{"name": "r", "policies": [{"Statement": [ALLOW_ALL]}]}]},
        "world.roles[0].policies[0]: 'Version' is a required property",
        id="policy-without-version",
    ),
    pytest.param(
        {
            "roles": [
                {"name": "r", "policies": [policy({**ALLOW_ALL, "Resource": "q"})]}
            ]
        },
        "world.roles[0].policies[0]: Resource q must be in ARN format",
        id="policy-moto-refuses",
    ),
    pytest.param(
        {"region": "eu-west-9"},
        "world.region: eu-west-9 is not an AWS region",
        id="world-region",
    ),
    pytest.param(
        {"region": "eu-west-9", "queues": ["q"]},
        # One problem: the queue's region is the world's, reported once.
        'invalid world:\\n  world.region: eu-west-9 is not an AWS region"}',
        id="world-region-once",
    ),
    pytest.param(
        {"functions": [{"name": "f", "region": "eu-west-9"}]},
        "world.functions[0]: lambda is not offered in region eu-west-9",
        id="function-region",
    ),
    pytest.param(
        {"queues": [{"name": "q", "region": "eu-west-9"}]},
        "world.queues[0]: sqs is not offered in region eu-west-9",
        id="queue-region",
    ),
    pytest.param(
        {"queues": ["q", "bad queue"]},
        "world.queues[1]: 'bad queue' is not 1 to 80 letters",
        id="queue-name",
    ),
    pytest.param(
        {"topics": ["t!"]}, "world.topics[0]: 't!' is not 1 to 256", id="topic-name"
    ),
    pytest.param(
        {"buses": ["a/b"]}, "world.buses[0]: 'a/b' is not 1 to 256", id="bus-name"
    ),
    pytest.param(
        {"buckets": ["B"]}, "world.buckets[0]: 'B' is not 3 to 63", id="bucket-name"
    ),
    pytest.param(
        {"buses": ["default", "b", "default", "b"]},
        "world.buses[3]: bus b in eu-west-1 is already declared at world.buses[1]",
        id="bus-twice",
    ),
    pytest.param(
        {"buckets": ["bkt", {"name": "bkt", "region": "us-east-1"}]},
        "world.buckets[1]: bucket bkt is already declared at world.buckets[0]",
        id="bucket-twice",
    ),
    pytest.param(
        {
            "functions": [{"name": "f"}],
            "buckets": ["b-fail"],
            "event_invoke_configs": [
                {
                    "function_name": "f",
                    "destination_config": {"on_success": {"destination": BUCKET}},
                }
            ],
        },
        "world.event_invoke_configs[0].destination_config.on_success.destination: "
        f"AWS refuses {BUCKET} on success: an s3 destination may only be on_failure",
        id="s3-on-success",
    ),
]


@pytest.mark.parametrize(("document", "fragment"), BAD_WORLDS)
def test_an_invalid_world_is_refused_with_a_reason(
    world: SandboxHandle, document: Any, fragment: str
) -> None:
    world.load_world(CASES_WORLD)
    with pytest.raises(SandboxAdminError) as caught:
        world.load_world(document)
    assert caught.value.status == 400
    assert fragment in caught.value.body
    # A refused world leaves the previous state alone.
    world.client("lambda").get_function(FunctionName="fn")


def test_a_refused_world_leaves_every_kind_of_state_alone(
    world: SandboxHandle,
) -> None:
    world.load_world(FULL_WORLD_YAML)
    refused_world = {
        "roles": [{"name": "r", "policies": [policy({**ALLOW_ALL, "Action": "x"})]}],
        "functions": [{"name": "f", "role": "r"}],
    }
    with pytest.raises(SandboxAdminError) as caught:
        world.load_world(refused_world)
    assert caught.value.status == 400
    assert "world.roles[0].policies[0]: Actions/Conditions must be prefaced" in (
        caught.value.body
    )
    lam = world.client("lambda")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert names == {"orders-ingest"}
    got = lam.get_function_event_invoke_config(FunctionName="orders-ingest:live")
    assert got["MaximumRetryAttempts"] == 0
    world.client("iam").get_role(RoleName="orders-exec")
    assert world.client("sqs").get_queue_url(QueueName="orders-dlq")["QueueUrl"]


def test_seeding_that_fails_anyway_leaves_the_sandbox_empty_and_says_so() -> None:
    # Every world the checks pass should seed; to fail seeding, hand seed()
    # a world the checks never saw, in this process's own moto.
    from moto.awslambda.utils import get_backend

    from reconciler.sandbox.seeding import SeedingError, seed
    from reconciler.sandbox.store import ConfigStore
    from reconciler.sandbox.world import Placed, check_world

    store = ConfigStore()
    good = check_world({"functions": [{"name": "f"}]}, ACCOUNT)
    seed(good, store)
    assert [f.function_name for f in get_backend(ACCOUNT, REGION).list_functions()]
    unchecked = replace(good, queues=[Placed("bad queue", REGION)])
    with pytest.raises(SeedingError, match="seeding failed, the sandbox is now empty"):
        seed(unchecked, store)
    assert get_backend(ACCOUNT, REGION).list_functions() == []


def test_a_large_world_loads_in_seconds(world: SandboxHandle) -> None:
    functions = [{"name": f"fn-{i:04}", "versions": 1} for i in range(2000)]
    configs = [
        {"function_name": f"fn-{i:04}", "qualifier": q, "maximum_retry_attempts": 1}
        for i in range(2000)
        for q in ("$LATEST", 1)
    ]
    started = time.monotonic()
    summary = world.load_world(
        {"functions": functions, "event_invoke_configs": configs}
    )
    assert time.monotonic() - started < 10
    assert summary["event_invoke_configs"] == 4000
    lam = world.client("lambda")
    got = lam.get_function_event_invoke_config(FunctionName="fn-1999", Qualifier="1")
    assert got["MaximumRetryAttempts"] == 1


def test_the_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    schema = json.loads((REPO / "schemas" / "world.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# --- Call counting and the admin API -----------------------------------------


def test_calls_are_counted_by_operation_name(lam: Any, world: SandboxHandle) -> None:
    lam.list_functions()
    lam.put_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=0)
    lam.update_function_event_invoke_config(FunctionName="fn", MaximumRetryAttempts=1)
    lam.get_function_event_invoke_config(FunctionName="fn")
    lam.list_function_event_invoke_configs(FunctionName="fn")
    lam.delete_function_event_invoke_config(FunctionName="fn")
    refused(lambda: lam.get_function_event_invoke_config(FunctionName="fn"))
    lam.list_aliases(FunctionName="fn")
    lam.list_versions_by_function(FunctionName="fn")
    lam.get_function(FunctionName="fn")
    lam.get_alias(FunctionName="fn", Name="live")
    world.client("sts").get_caller_identity()
    world.client("sqs").list_queues()
    world.client("iam").list_roles()
    world.client("s3").list_buckets()
    assert world.calls() == {
        "DeleteFunctionEventInvokeConfig": 1,
        "GetAlias": 1,
        "GetCallerIdentity": 1,
        "GetFunction": 1,
        "GetFunctionEventInvokeConfig": 2,
        "ListAliases": 1,
        "ListBuckets": 1,
        "ListFunctionEventInvokeConfigs": 1,
        "ListFunctions": 1,
        "ListQueues": 1,
        "ListRoles": 1,
        "ListVersionsByFunction": 1,
        "PutFunctionEventInvokeConfig": 1,
        "UpdateFunctionEventInvokeConfig": 1,
    }


def test_resetting_calls_zeroes_them_and_admin_calls_do_not_count(
    lam: Any, world: SandboxHandle
) -> None:
    lam.list_functions()
    assert world.calls() == {"ListFunctions": 1}
    world.reset_calls()
    world.load_world(CASES_WORLD)
    assert world.calls() == {}


def test_caller_identity_is_the_sandbox_account(world: SandboxHandle) -> None:
    assert world.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_added_latency_is_a_setting(lam: Any, world: SandboxHandle) -> None:
    assert world.settings(latency_ms=150)["latency_ms"] == 150
    started = time.monotonic()
    lam.list_functions()
    assert time.monotonic() - started >= 0.15
    with pytest.raises(SandboxAdminError) as caught:
        world.settings(no_such_knob=1)
    assert caught.value.status == 400
    assert world.reset_settings()["latency_ms"] == 0


def test_unknown_admin_routes_are_404(world: SandboxHandle) -> None:
    with pytest.raises(SandboxAdminError) as caught:
        world._admin("GET", "/_eic/nothing")
    assert caught.value.status == 404


# --- The process -------------------------------------------------------------


def run_sandbox(*flags: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **DUMMY_ENV, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "reconciler.sandbox", *flags],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_a_non_loopback_host_is_refused_without_allow_remote() -> None:
    result = run_sandbox("--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 1
    assert "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_world_file_is_one_clear_error(tmp_path: Path) -> None:
    result = run_sandbox("--port", "0", "--world", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert "cannot read world file" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_world_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text("functions: [{name: f, versions: many}]\n")
    result = run_sandbox("--port", "0", "--world", str(path))
    assert result.returncode == 1
    assert "world.functions[0].versions" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_busy_port_is_one_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_sandbox("--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_world_file_sets_the_account_and_sigterm_stops_cleanly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "world.yaml"
    path.write_text('account: "444455556666"\nfunctions: [{name: other-fn}]\n')
    handle = start_sandbox("--world", str(path))
    try:
        sts = handle.client("sts")
        assert sts.get_caller_identity()["Account"] == "444455556666"
        fn = handle.client("lambda").get_function(FunctionName="other-fn")
        assert ":444455556666:" in fn["Configuration"]["FunctionArn"]
        handle.process.send_signal(signal.SIGTERM)
        assert handle.process.wait(timeout=10) == 0
    finally:
        stop_sandbox(handle)
