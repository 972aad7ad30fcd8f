"""Every case of shared/cases.md: the real eic against the sandbox over HTTP.

World: function `fn` in 111122223333 / eu-west-1 with versions 1 and 2,
aliases live -> 1 and beta -> 2; destinations q-fail, t-fail, bus-a,
fn-handler, b-fail; eic.yaml's scope owns `fn`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_cli import write_tree

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ARN_FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn"
Q_FAIL = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-fail"
T_FAIL = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-fail"
BUS_A = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/bus-a"
HANDLER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn-handler"
B_FAIL = "arn:aws:s3:::b-fail"
EIC_YAML = "regions: [eu-west-1]\nscope: [fn, other]\n"
WRITES = (
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)


def case_world(*live_configs: dict) -> dict:
    return {
        "account": ACCOUNT,
        "region": REGION,
        "functions": [
            {"name": "fn", "versions": 2, "aliases": {"live": "1", "beta": "2"}},
            {"name": "fn-handler"},
            {"name": "other"},
        ],
        "queues": ["q-fail"],
        "topics": ["t-fail"],
        "buses": ["bus-a"],
        "buckets": ["b-fail"],
        "event_invoke_configs": list(live_configs),
    }


@pytest.fixture
def repo(tmp_path: Path):
    """Write a configs directory: ``repo(fn_yaml_text, **more_files)``."""

    def make(config: str | None = None, files: dict[str, str] | None = None) -> str:
        tree = {"eic.yaml": EIC_YAML, **(files or {})}
        if config is not None:
            tree["fn.yaml"] = config
        return str(write_tree(tmp_path / "configs", tree))

    return make


def writes(world) -> dict[str, int]:
    return {op: n for op, n in world.calls().items() if op in WRITES}


def live_of(world, qualifier: str = "$LATEST") -> dict:
    client = world.client("lambda")
    found = client.get_function_event_invoke_config(FunctionName="fn", Qualifier=qualifier)
    found.pop("ResponseMetadata")
    found.pop("LastModified")
    return found


def assert_converged(eic, directory: str, world) -> None:
    world.reset_calls()
    second = eic("plan", directory, "--detailed-exitcode")
    assert second.code == 0, second.text
    assert "No changes." in second.out
    assert writes(world) == {}


def test_01_qualified_arn_round_trip(eic, world, repo):
    world.load_world(case_world())
    directory = repo(
        f"configs:\n  - function_name: {ARN_FN}\n    qualifier: live\n"
        "    maximum_retry_attempts: 1\n"
    )
    plan = eic("plan", directory)
    assert "+ fn:live  Put" in plan.out
    assert "Plan: 1 to create, 0 to update, 0 to delete." in plan.out
    applied = eic("apply", directory, "--auto-approve")
    assert applied.code == 0, applied.text
    assert writes(world) == {"PutFunctionEventInvokeConfig": 1}
    assert live_of(world, "live")["MaximumRetryAttempts"] == 1
    assert_converged(eic, directory, world)


def test_02_name_and_arn_are_one_function(eic, world, repo):
    world.load_world(case_world({"function_name": "fn", "maximum_retry_attempts": 0}))
    directory = repo(f"configs:\n  - function_name: {ARN_FN}\n    maximum_retry_attempts: 0\n")
    assert_converged(eic, directory, world)


def test_03_unqualified_is_latest(eic, world, repo):
    world.load_world(case_world())
    world.client("lambda").put_function_event_invoke_config(
        FunctionName="fn", MaximumRetryAttempts=1
    )
    directory = repo(
        "configs:\n  - function_name: fn\n    qualifier: $LATEST\n"
        "    maximum_retry_attempts: 1\n"
    )
    assert_converged(eic, directory, world)


@pytest.mark.parametrize("same_file", [True, False])
def test_04_two_spellings_one_target_is_an_error_naming_both(
    eic, world, repo, same_file
):
    world.load_world(case_world())
    first = "  - function_name: fn\n    maximum_retry_attempts: 1\n"
    second = (
        "  - function_name: fn\n    qualifier: $LATEST\n    maximum_retry_attempts: 0\n"
    )
    if same_file:
        directory = repo("configs:\n" + first + second)
    else:
        directory = repo("configs:\n" + first, {"other.yaml": "configs:\n" + second})
    world.reset_calls()
    result = eic("plan", directory)
    assert result.code == 1
    assert "declared twice" in result.err
    second_file = "fn.yaml:4:5" if same_file else "other.yaml:2:5"
    assert second_file in result.err and "fn.yaml:2:5" in result.err
    assert world.calls() == {}


def test_05_empty_halves_on_read_are_not_sent_back(eic, world, repo):
    world.load_world(
        case_world(
            {
                "function_name": "fn",
                "maximum_retry_attempts": 2,
                "destination_config": {"on_failure": {"destination": Q_FAIL}},
            }
        )
    )
    assert live_of(world)["DestinationConfig"]["OnSuccess"] == {}
    directory = repo(
        "configs:\n  - function_name: fn\n    maximum_retry_attempts: 1\n"
        "    maximum_event_age_in_seconds: 300\n    destination_config:\n"
        f"      on_failure: {{destination: {Q_FAIL}}}\n"
    )
    result = eic("plan", directory, "--output", "json")
    (change,) = __import__("json").loads(result.out)["changes"]
    assert "OnSuccess" not in change["request"].get("DestinationConfig", {})
    assert eic("apply", directory, "--auto-approve").code == 0
    assert sum(writes(world).values()) == 1
    assert live_of(world)["MaximumEventAgeInSeconds"] == 300
    assert_converged(eic, directory, world)


def test_06_reads_fill_in_nothing(eic, world, repo):
    world.load_world(case_world({"function_name": "fn", "maximum_retry_attempts": 2}))
    directory = repo("configs:\n  - function_name: fn\n    maximum_retry_attempts: 2\n")
    assert_converged(eic, directory, world)


def test_07_change_one_half_keep_the_other(eic, world, repo):
    world.load_world(
        case_world(
            {
                "function_name": "fn",
                "qualifier": "live",
                "destination_config": {
                    "on_success": {"destination": BUS_A},
                    "on_failure": {"destination": Q_FAIL},
                },
            }
        )
    )
    directory = repo(
        "configs:\n  - function_name: fn\n    qualifier: live\n"
        "    destination_config:\n"
        f"      on_success: {{destination: {BUS_A}}}\n"
        f"      on_failure: {{destination: {T_FAIL}}}\n"
    )
    assert eic("apply", directory, "--auto-approve").code == 0
    assert sum(writes(world).values()) == 1
    assert live_of(world, "live")["DestinationConfig"] == {
        "OnSuccess": {"Destination": BUS_A},
        "OnFailure": {"Destination": T_FAIL},
    }
    assert_converged(eic, directory, world)


def test_08_removing_the_declaration_removes_the_config(eic, world, repo):
    world.load_world(
        case_world(
            {
                "function_name": "fn",
                "qualifier": "live",
                "maximum_retry_attempts": 0,
                "destination_config": {"on_failure": {"destination": Q_FAIL}},
            },
            {"function_name": "other", "maximum_retry_attempts": 1},
        )
    )
    other = "configs:\n  - function_name: other\n    maximum_retry_attempts: 1\n"
    directory = repo(None, {"other.yaml": other})
    plan = eic("plan", directory)
    assert "- fn:live  Delete (owned by scope `fn`, not declared)" in plan.out
    assert eic("apply", directory, "--auto-approve").code == 0
    assert writes(world) == {"DeleteFunctionEventInvokeConfig": 1}
    assert world.client("lambda").list_function_event_invoke_configs(
        FunctionName="fn"
    )["FunctionEventInvokeConfigs"] == []
    assert_converged(eic, directory, world)


def test_08_nothing_live_and_nothing_declared_is_no_changes(eic, world, repo):
    world.load_world(case_world())
    directory = repo(None)
    assert_converged(eic, directory, world)


def test_09_zero_is_a_value(eic, world, repo):
    world.load_world(case_world({"function_name": "fn", "maximum_retry_attempts": 2}))
    directory = repo("configs:\n  - function_name: fn\n    maximum_retry_attempts: 0\n")
    plan = eic("plan", directory)
    assert "maximum_retry_attempts: 2 -> 0" in plan.out
    assert eic("apply", directory, "--auto-approve").code == 0
    assert writes(world) == {"UpdateFunctionEventInvokeConfig": 1}
    assert live_of(world)["MaximumRetryAttempts"] == 0
    assert_converged(eic, directory, world)


@pytest.mark.parametrize("declared, live_retries", [("\n    maximum_retry_attempts: 2", None), ("", 2)])
def test_10_unset_equals_the_default(eic, world, repo, declared, live_retries):
    live = {"function_name": "fn", "destination_config": {"on_success": {"destination": BUS_A}}}
    if live_retries is not None:
        live["maximum_retry_attempts"] = live_retries
    world.load_world(case_world(live))
    directory = repo(
        f"configs:\n  - function_name: fn{declared}\n    destination_config:\n"
        f"      on_success: {{destination: {BUS_A}}}\n"
    )
    assert_converged(eic, directory, world)


@pytest.mark.parametrize(
    "setting, line",
    [
        ("maximum_retry_attempts: 5", "from 0 to 2"),
        ("maximum_event_age_in_seconds: 30", "from 60 to 21600"),
        ("maximum_event_age_in_seconds: 30000", "from 60 to 21600"),
    ],
)
def test_11_ranges_are_checked_before_aws(eic, world, repo, setting, line):
    world.load_world(case_world())
    directory = repo(f"configs:\n  - function_name: fn\n    {setting}\n")
    world.reset_calls()
    for command in ("validate", "plan"):
        result = eic(command, directory)
        assert result.code == 1
        assert "fn.yaml:3:" in result.err and line in result.err
    assert world.calls() == {}


def test_12_a_queue_url_is_not_an_arn(eic, world, repo):
    world.load_world(case_world())
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q-fail"
    directory = repo(
        "configs:\n  - function_name: fn\n    destination_config:\n"
        f"      on_failure: {{destination: '{url}'}}\n"
    )
    world.reset_calls()
    result = eic("validate", directory)
    assert result.code == 1
    assert "must be an ARN" in result.err and Q_FAIL in result.err
    assert "fn.yaml:4:" in result.err
    assert world.calls() == {}


def test_13_s3_only_catches_failures(eic, world, repo):
    world.load_world(case_world())
    success = repo(
        "configs:\n  - function_name: fn\n    destination_config:\n"
        f"      on_success: {{destination: '{B_FAIL}'}}\n"
    )
    result = eic("validate", success)
    assert result.code == 1 and "only be a failure destination" in result.err
    failure = repo(
        "configs:\n  - function_name: fn\n    destination_config:\n"
        f"      on_failure: {{destination: '{B_FAIL}'}}\n"
    )
    plan = eic("plan", failure)
    assert plan.code == 0 and "+ fn:$LATEST  Put" in plan.out
    assert "Plan: 1 to create" in plan.out


def test_14_many_qualifiers_fresh_reads(eic, world, repo):
    # cases.md expects two Puts, but design.md rules that a declared entry of
    # all defaults against no live config is no change (a Put of retries 2
    # would leave beta behaving exactly as it does). design.md wins; beta
    # gets a Put as soon as it declares anything but the defaults.
    world.load_world(case_world())
    body = (
        "configs:\n  - function_name: fn\n    qualifier: live\n"
        "    maximum_retry_attempts: {live}\n"
        "  - function_name: fn\n    qualifier: beta\n    maximum_retry_attempts: 2\n"
        "    maximum_event_age_in_seconds: {age}\n"
    )
    directory = repo(body.format(live=0, age=21600))
    assert "Plan: 1 to create" in eic("plan", directory).out
    directory = repo(body.format(live=0, age=3600))
    assert "Plan: 2 to create" in eic("plan", directory).out
    assert eic("apply", directory, "--auto-approve").code == 0
    assert writes(world) == {"PutFunctionEventInvokeConfig": 2}
    assert_converged(eic, directory, world)
    directory = repo(body.format(live=1, age=3600))
    world.reset_calls()
    assert eic("apply", directory, "--auto-approve").code == 0
    assert writes(world) == {"UpdateFunctionEventInvokeConfig": 1}
    assert live_of(world, "live")["MaximumRetryAttempts"] == 1
    assert_converged(eic, directory, world)


def test_15_a_missing_alias_is_reported_and_the_rest_applied(eic, world, repo):
    world.load_world(case_world())
    directory = repo(
        "configs:\n  - function_name: fn\n    qualifier: gamma\n"
        "    maximum_retry_attempts: 1\n"
        "  - function_name: fn\n    qualifier: live\n    maximum_retry_attempts: 0\n"
    )
    result = eic("apply", directory, "--auto-approve")
    assert result.code == 1
    assert "fn:gamma" in result.err and "ResourceNotFoundException" in result.err
    assert "fn.yaml:2:5" in result.err
    assert writes(world) == {"PutFunctionEventInvokeConfig": 2}  # no retry loop
    assert live_of(world, "live")["MaximumRetryAttempts"] == 0
