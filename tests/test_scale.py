"""Issue 4: the fewest calls, a rate limit that never trips AWS's quota,
throttling answers absorbed, and progress only on a terminal.

Counts, not timings: speed is measured by bench/bench.py.
"""

from __future__ import annotations

import math
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures_cli import write_tree

from reconciler.aws import RateLimiter

ACCOUNT = "111122223333"
Q = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q"
WRITES = (
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)


def many(functions: int, drifted: int = 0) -> dict:
    return {
        "account": ACCOUNT,
        "region": "eu-west-1",
        "functions": [
            {"name": f"team-{i:03d}", "versions": 1, "aliases": {"live": "1"}}
            for i in range(functions)
        ] + [{"name": "outsider"}],
        "queues": ["q"],
        "event_invoke_configs": [
            {"function_name": f"team-{i:03d}", "qualifier": q,
             "maximum_retry_attempts": 0 if i < drifted and q == "live" else 1}
            for i in range(functions) for q in ("$LATEST", "live")
        ] + [{"function_name": "outsider", "maximum_retry_attempts": 0}],
    }


def declare(root: Path, functions: int, scope: str = "team-*") -> str:
    body = "defaults: {maximum_retry_attempts: 1}\nconfigs:\n" + "".join(
        f"  - function_name: team-{i:03d}\n"
        f"  - function_name: team-{i:03d}\n    qualifier: live\n"
        for i in range(functions)
    )
    files = {"eic.yaml": f"regions: [eu-west-1]\nscope: ['{scope}']\n", "t.yaml": body}
    return str(write_tree(root / "configs", files))


def test_plan_reads_one_list_per_function_and_lists_functions_in_pages(
    eic, world, tmp_path
):
    functions = 120
    world.load_world(many(functions))
    directory = declare(tmp_path, functions)
    world.reset_calls()
    result = eic("plan", directory)
    assert "No changes." in result.out
    assert world.calls() == {
        "GetCallerIdentity": 1,
        "ListFunctions": math.ceil((functions + 1) / 50),
        "ListFunctionEventInvokeConfigs": functions,  # not the outsider
    }


def test_literal_scope_needs_no_listing(eic, world, tmp_path):
    world.load_world(many(3))
    directory = declare(tmp_path, 3, scope="team-001")
    world.reset_calls()
    eic("plan", directory)
    calls = world.calls()
    assert "ListFunctions" not in calls
    assert calls["ListFunctionEventInvokeConfigs"] == 3


def test_apply_makes_one_write_per_changed_config(eic, world, tmp_path):
    world.load_world(many(30, drifted=7))
    directory = declare(tmp_path, 30)
    world.reset_calls()
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 0, result.text
    assert {k: v for k, v in world.calls().items() if k in WRITES} == {
        "UpdateFunctionEventInvokeConfig": 7
    }


def test_paced_client_never_trips_the_quota(eic, world, tmp_path):
    world.load_world(many(20))
    directory = declare(tmp_path, 20)
    world.settings(rate_limit=8)
    world.reset_calls()
    result = eic("plan", directory, "--rate-limit", "8")
    assert result.code == 0, result.text
    assert world.stats()["throttled"] == 0


def test_throttling_answers_are_retried_not_surfaced(eic, world, tmp_path):
    world.load_world(many(20, drifted=20))
    directory = declare(tmp_path, 20)
    world.settings(rate_limit=10)  # eic itself is unlimited on loopback
    result = eic("apply", directory, "--auto-approve", "--no-preflight")
    assert result.code == 0, result.text
    assert world.stats()["throttled"] > 0
    world.reset_settings()
    assert "No changes." in eic("plan", directory).out


def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(50.0)
    started = time.monotonic()
    for _ in range(11):
        limiter.acquire()
    assert time.monotonic() - started >= 10 / 50 * 0.9


def test_rate_limiter_waits_out_a_retry_after():
    limiter = RateLimiter(None)
    limiter.pause(0.3)
    started = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - started >= 0.25


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_only_on_a_terminal(world, tmp_path, terminal):
    world.load_world(many(60, drifted=60))
    directory = declare(tmp_path, 60)
    world.settings(latency_ms=20)
    env = {**os.environ, **world.env}
    env.pop("CI", None)
    args = [sys.executable, "-m", "reconciler", "apply", directory, "--auto-approve",
            "--no-preflight"]
    if terminal:
        leader, follower = pty.openpty()
        process = subprocess.run(args, env=env, stdout=subprocess.DEVNULL,
                                 stderr=follower, timeout=120)
        os.close(follower)
        err = _drain(leader)
    else:
        process = subprocess.run(args, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, timeout=120, text=True)
        err = process.stderr
    assert process.returncode == 0
    shown = "reading live configs:" in err and "applying:" in err and "/s" in err
    assert shown is terminal, err


def _drain(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")
