"""Issue 5: faults, interruptions and partial failures lose nothing.

Faults are injected at the sandbox (by rate and seed, or one-shot), and the
real eic runs against it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fixtures_cli import write_tree

ACCOUNT = "111122223333"
REGION = "eu-west-1"
Q = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-ok"
Q_DENIED = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q-denied"
WRITES = (
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)


def fleet(functions: int, iam_checks: bool = False, live_retries: int | None = None) -> dict:
    configs = []
    if live_retries is not None:
        configs = [
            {"function_name": f"svc-{i:03d}", "qualifier": q, "maximum_retry_attempts": live_retries}
            for i in range(functions) for q in ("$LATEST", "live")
        ]
    return {
        "account": ACCOUNT,
        "region": REGION,
        "iam_checks": iam_checks,
        "roles": [{
            "name": "svc-exec",
            "policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": Q}
            ]}],
        }],
        "functions": [
            {"name": f"svc-{i:03d}", "role": "svc-exec", "versions": 1, "aliases": {"live": "1"}}
            for i in range(functions)
        ],
        "queues": ["q-ok", "q-denied"],
        "event_invoke_configs": configs,
    }


def declare(root: Path, functions: int, destination: str = Q, extra: str = "") -> str:
    body = (
        "defaults:\n  maximum_retry_attempts: 1\n  maximum_event_age_in_seconds: 600\n"
        f"  destination_config: {{on_failure: {{destination: '{destination}'}}}}\n"
        "configs:\n"
    ) + "".join(
        f"  - function_name: svc-{i:03d}\n  - function_name: svc-{i:03d}\n    qualifier: live\n"
        for i in range(functions)
    ) + extra
    files = {"eic.yaml": "regions: [eu-west-1]\nscope: ['svc-*']\n", "svc.yaml": body}
    return str(write_tree(root / "configs", files))


def live_state(world, functions: int) -> dict:
    client = world.client("lambda")
    found = {}
    for i in range(functions):
        name = f"svc-{i:03d}"
        for item in client.list_function_event_invoke_configs(FunctionName=name)[
            "FunctionEventInvokeConfigs"
        ]:
            found[item["FunctionArn"].split(":function:")[1]] = (
                item.get("MaximumRetryAttempts"),
                item.get("MaximumEventAgeInSeconds"),
                item["DestinationConfig"],
            )
    return found


def expected_state(functions: int, destination: str = Q) -> dict:
    halves = {"OnSuccess": {}, "OnFailure": {"Destination": destination}}
    return {
        f"svc-{i:03d}:{q}": (1, 600, halves)
        for i in range(functions) for q in ("$LATEST", "live")
    }


def test_case_16_one_conflict_then_success(eic, world, tmp_path):
    world.load_world(fleet(1))
    directory = declare(tmp_path, 1)
    world.settings(fail_next=[{
        "operation": "PutFunctionEventInvokeConfig",
        "code": "ResourceConflictException",
        "count": 1,
    }])
    world.reset_calls()
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 0, result.text
    assert "Apply complete: 2 created, 0 updated, 0 deleted." in result.out
    assert "failed" not in result.text
    assert world.calls()["PutFunctionEventInvokeConfig"] == 3  # 2 + 1 retry
    assert live_state(world, 1) == expected_state(1)


def test_partial_failure_reports_and_rerun_makes_only_the_rest(eic, world, tmp_path):
    world.load_world(fleet(3, iam_checks=True))
    extra = (
        "  - function_name: svc-000\n    qualifier: '1'\n"
        f"    destination_config: {{on_failure: {{destination: '{Q_DENIED}'}}}}\n"
    )
    directory = declare(tmp_path, 3, extra=extra)
    first = eic("apply", directory, "--auto-approve", "--propagation-timeout", "1")
    assert first.code == 1
    assert "svc-000:1" in first.err and "InvalidParameterValueException" in first.err
    assert "does not have permissions" in first.err
    assert "lacks sqs:SendMessage on " + Q_DENIED in first.err
    assert "Apply incomplete: 6 created, 0 updated, 0 deleted; 1 failed" in first.out
    world.reset_calls()
    again = eic("apply", directory, "--auto-approve", "--propagation-timeout", "0")
    assert again.code == 1
    writes = {k: v for k, v in world.calls().items() if k in WRITES}
    assert writes == {"PutFunctionEventInvokeConfig": 1}


def test_propagation_answers_are_retried_until_they_pass(eic, world, tmp_path):
    world.load_world(fleet(1, iam_checks=True))
    world.settings(propagation_seconds=2)
    directory = declare(tmp_path, 1)
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 0, result.text
    assert world.stats()["faults"]["propagation"] > 0
    assert live_state(world, 1) == expected_state(1)


def test_other_client_errors_are_not_retried(eic, world, tmp_path):
    world.load_world(fleet(1))
    directory = declare(tmp_path, 1, extra="  - function_name: svc-000\n    qualifier: gamma\n")
    world.reset_calls()
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 1 and "svc-000:gamma" in result.err
    assert world.calls()["PutFunctionEventInvokeConfig"] == 3  # no retry loop


def _apply_process(world, directory: str) -> subprocess.Popen:
    env = {**os.environ, **world.env, "CI": "true"}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", directory, "--auto-approve",
         "--no-preflight", "--max-workers", "2"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def _wait_for_writes(world, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(world.calls().get(op, 0) for op in WRITES) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError("the apply made no writes")


def test_interrupt_finishes_calls_in_flight_and_a_rerun_converges(eic, world, tmp_path):
    functions = 20
    world.load_world(fleet(functions))
    directory = declare(tmp_path, functions)
    world.settings(latency_ms=150)
    world.reset_calls()
    process = _apply_process(world, directory)
    _wait_for_writes(world, 2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Apply interrupted:" in out and "not started" in out
    assert "Traceback" not in err
    made = sum(world.calls().get(op, 0) for op in WRITES)
    assert 0 < made < 2 * functions
    created = int(out.split("Apply interrupted: ")[1].split(" created")[0])
    assert created == made  # every call started was finished and counted
    world.reset_settings()
    assert eic("apply", directory, "--auto-approve", "--no-preflight").code == 0
    assert live_state(world, functions) == expected_state(functions)


def _slow_apply_under_way(world, tmp_path, latency_ms: int) -> subprocess.Popen:
    """An apply of 20 writes against slow answers, its first write made."""
    world.load_world(fleet(10))
    directory = declare(tmp_path, 10)
    world.settings(latency_ms=latency_ms)
    world.reset_calls()
    process = _apply_process(world, directory)
    _wait_for_writes(world, 1)
    return process


def test_sigterm_stops_like_ctrl_c(world, tmp_path):
    process = _slow_apply_under_way(world, tmp_path, latency_ms=150)
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 130 and "Apply interrupted:" in out


def test_second_interrupt_exits_at_once(world, tmp_path):
    process = _slow_apply_under_way(world, tmp_path, latency_ms=2000)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=30)
    assert process.returncode == 130
    assert time.monotonic() - started < 1.5  # not waiting out the 2 s answer


def test_soak_apply_through_a_fifth_of_calls_faulted(eic, world, tmp_path):
    """300 configs, 20% of calls faulted (mixed kinds, fixed seed): one apply
    gets there, then the plan is clean and the live state is exactly the
    declared one."""
    functions = 150
    world.load_world(fleet(functions, live_retries=0))
    directory = declare(tmp_path, functions)
    world.settings(
        faults={"throttle": 0.05, "error": 0.05, "conflict": 0.04, "slow": 0.03, "drop": 0.03},
        fault_seed=16,
        slow_ms=300,
    )
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 0, result.text
    assert sum(world.stats()["faults"].values()) > 30  # the faults really happened
    plan = eic("plan", directory, "--detailed-exitcode", "--no-preflight")
    assert plan.code == 0 and "No changes." in plan.out, plan.text
    world.reset_settings()
    assert live_state(world, functions) == expected_state(functions)
