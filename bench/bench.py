"""Benchmark eic against the sandbox and print a table of what it measured.

    python bench/bench.py [--functions 1000] [--latency-ms 30] [--quota 15]

Seeds a sandbox with N functions (two configs each: $LATEST and alias
`live`, a tenth drifted from the declared state), writes the matching
configs directory, then measures, in one run so that ratios compare like
with like:

1. local work: load, validate, normalise and diff 10,000 configs (no AWS);
2. quota off, fixed latency: `eic plan` against a naive reader (one
   GetFunctionEventInvokeConfig per declared config, one at a time), then
   `eic apply` and a second plan;
3. quota on (AWS's 15 requests/second): `eic plan` against the physical
   limit (F + ceil(F/50)) / 15 s, and `eic apply PLANFILE` of 200 changes
   against (freshness reads + 200 writes) / 15 s.

Every eic run is a separate process; its wall time and peak memory are
its own. Preflight calls are counted apart from the plan's reads.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
REGION = "eu-west-1"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-dlq"
READS = ("ListFunctions", "ListFunctionEventInvokeConfigs")
WRITES = (
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
)
ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/eic-bench",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/eic-bench",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass
class Run:
    """One measured eic command."""

    label: str
    seconds: float
    peak_mb: float
    code: int
    calls: dict[str, int] = field(default_factory=dict)
    throttled: int = 0


class Sandbox:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler.sandbox", "--port", "0",
             "--stop-on-stdin-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **ENV},
            cwd=REPO,
        )
        first = self.process.stdout.readline()
        self.url = first.rsplit(" ", 1)[-1].strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the sandbox did not start: {first!r}")

    def admin(self, method: str, path: str, body: object = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=600) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def settings(self, **values: object) -> None:
        self.admin("DELETE", "/_eic/settings")
        if values:
            self.admin("POST", "/_eic/settings", values)

    def stats(self) -> tuple[dict[str, int], int]:
        stats = self.admin("GET", "/_eic/stats")
        return stats["calls"], stats["throttled"]

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# --- the scenario -------------------------------------------------------------


def name(index: int) -> str:
    return f"bench-{index:05d}"


def world(functions: int, drift_every: int) -> dict:
    """Live state: two configs per function; every ``drift_every``-th drifted.

    Half the drifted configs differ in retries only (an Update), half have
    also lost their destination (a Put, which preflight checks).
    """
    configs = []
    for index in range(functions):
        for slot, qualifier in enumerate(("$LATEST", "live")):
            drifted = (2 * index + slot) % drift_every == 0
            config = {
                "function_name": name(index),
                "qualifier": qualifier,
                "maximum_retry_attempts": 0 if drifted else 1,
            }
            if not drifted or index % 2:
                config["destination_config"] = {"on_failure": {"destination": QUEUE}}
            configs.append(config)
    return {
        "account": ACCOUNT,
        "region": REGION,
        "roles": [{"name": "bench-exec", "policies": [_send_policy()]}],
        "functions": [
            {"name": name(i), "role": "bench-exec", "versions": 1,
             "aliases": {"live": "1"}}
            for i in range(functions)
        ],
        "queues": ["bench-dlq"],
        "event_invoke_configs": configs,
    }


def _send_policy() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}
        ],
    }


def write_configs(root: Path, functions: int, per_file: int = 100) -> Path:
    """The declared state: every config at 1 retry with the queue."""
    directory = root / "configs"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / "eic.yaml").write_text(
        f'regions: [{REGION}]\naccount: "{ACCOUNT}"\nscope: ["bench-*"]\n'
    )
    head = (
        "defaults:\n  maximum_retry_attempts: 1\n  destination_config:\n"
        f"    on_failure: {{destination: '{QUEUE}'}}\nconfigs:\n"
    )
    for start in range(0, functions, per_file):
        entries = "".join(
            f"  - function_name: {name(i)}\n"
            f"  - function_name: {name(i)}\n    qualifier: live\n"
            for i in range(start, min(start + per_file, functions))
        )
        (directory / f"team-{start // per_file:03d}.yaml").write_text(head + entries)
    return directory


# --- measuring --------------------------------------------------------------------


def run_eic(sandbox: Sandbox, label: str, *args: str) -> Run:
    sandbox.admin("DELETE", "/_eic/calls")
    env = {**os.environ, **ENV, "AWS_ENDPOINT_URL": sandbox.url, "CI": "true"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode()
    if process.returncode not in (0, 2):
        print(f"  {label}: exit {process.returncode}: {stderr[-500:]}", file=sys.stderr)
    calls, throttled = sandbox.stats()
    return Run(label, seconds, usage.ru_maxrss / 1024, process.returncode, calls,
               throttled)


def naive_read(sandbox: Sandbox, functions: int) -> float:
    """One Get per declared config, one at a time: how a simple tool reads."""
    client = boto3.session.Session().client(
        "lambda", region_name=REGION, endpoint_url=sandbox.url,
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(retries={"mode": "standard", "max_attempts": 8}),
    )
    started = time.perf_counter()
    for index in range(functions):
        for qualifier in ("$LATEST", "live"):
            client.get_function_event_invoke_config(
                FunctionName=name(index), Qualifier=qualifier
            )
    return time.perf_counter() - started


def local_work(root: Path, configs: int) -> tuple[float, float]:
    """Seconds and peak MB to load, validate, normalise and diff ``configs``."""
    directory = write_configs(root / "local", configs // 2, per_file=500)
    code = f"""
import resource, time
from reconciler import loader, planner
from reconciler.live import LiveState
from reconciler.model import Live, Settings
started = time.perf_counter()
configs = loader.load_directory({str(directory)!r}, {REGION!r})
configs.bind_account({ACCOUNT!r})
state = LiveState({ACCOUNT!r}, managed_regions=({REGION!r},))
for index, (identity, desired) in enumerate(configs.desired.items()):
    settings = desired.settings
    if index % 10 == 0:
        settings = Settings(0, 60, None, settings.on_failure)
    state.configs[identity] = Live(identity, settings)
plan = planner.make_plan(configs, state)
assert len(plan.changes) == len(configs.desired) // 10
print(time.perf_counter() - started,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, cwd=REPO, check=True).stdout.split()
    return float(out[0]), float(out[1])


# --- the report -----------------------------------------------------------------


def split_calls(calls: dict[str, int]) -> tuple[dict, dict, dict]:
    reads = {k: v for k, v in calls.items() if k in READS}
    writes = {k: v for k, v in calls.items() if k in WRITES}
    other = {k: v for k, v in calls.items() if k not in READS + WRITES}
    return reads, writes, other


def show(run: Run, extra: str = "") -> None:
    reads, writes, other = split_calls(run.calls)
    print(
        f"| {run.label} | {run.seconds:.2f} s | {run.peak_mb:.0f} MB | "
        f"{_calls(reads)} | {_calls(writes)} | {_calls(other)} | "
        f"{run.throttled} | {run.code} | {extra} |"
    )


def _calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--quota", type=float, default=15.0)
    parser.add_argument("--skip-quota", action="store_true")
    parser.add_argument("--local-configs", type=int, default=10_000)
    args = parser.parse_args()
    functions, configs = args.functions, 2 * args.functions
    root = Path(tempfile.mkdtemp(prefix="eic-bench-"))
    print(f"eic benchmark: {functions} functions, {configs} configs, a tenth "
          f"drifted; {os.cpu_count()} cores; Python {sys.version.split()[0]}\n")

    seconds, peak = local_work(root, args.local_configs)
    print(f"Local work, {args.local_configs} configs (load, validate, normalise, "
          f"diff; no AWS): {seconds:.2f} s, peak {peak:.0f} MB\n")

    sandbox = Sandbox()
    try:
        directory = write_configs(root, functions)
        _quota_off(sandbox, directory, functions, configs, args.latency_ms)
        if not args.skip_quota:
            _quota_on(sandbox, directory, functions, args)
    finally:
        sandbox.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


HEADER = (
    "| run | wall | peak mem | reads | writes | other calls | throttled | exit | |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _quota_off(sandbox, directory, functions, configs, latency_ms) -> None:
    sandbox.admin("POST", "/_eic/world", world(functions, drift_every=10))
    sandbox.settings(latency_ms=latency_ms)
    print(f"Quota off, {latency_ms} ms added to every answer:\n\n{HEADER}")
    plan = run_eic(sandbox, "eic plan", "plan", str(directory), "--no-preflight")
    naive = naive_read(sandbox, functions)
    show(plan, f"naive reader {naive:.2f} s = {naive / plan.seconds:.1f}x eic")
    preflight = run_eic(sandbox, "eic plan (with preflight)", "plan", str(directory))
    show(preflight, "preflight calls under 'other'")
    apply = run_eic(sandbox, "eic apply", "apply", str(directory), "--auto-approve",
                    "--no-preflight")
    show(apply, f"{configs // 10} changed configs")
    again = run_eic(sandbox, "eic plan again", "plan", str(directory),
                    "--detailed-exitcode", "--no-preflight")
    show(again, "exit 0 = No changes.")
    print()


def _quota_on(sandbox, directory, functions, args) -> None:
    sandbox.admin("POST", "/_eic/world", world(functions, drift_every=10))
    sandbox.settings(rate_limit=args.quota, latency_ms=args.latency_ms)
    rate = ("--rate-limit", str(args.quota))
    print(f"Quota on, {args.quota:g} requests/s (sandbox enforces, eic paces):\n\n"
          f"{HEADER}")
    physical = (functions + math.ceil(functions / 50)) / args.quota
    plan_file = str(directory.parent / "bench.plan")
    plan = run_eic(sandbox, "eic plan --out", "plan", str(directory), "--out",
                   plan_file, "--no-preflight", *rate)
    show(plan, f"physical limit {physical:.1f} s; ratio {plan.seconds / physical:.2f}")
    apply = run_eic(sandbox, "eic apply PLANFILE", "apply", plan_file, *rate)
    reads, writes, _ = split_calls(apply.calls)
    ideal = (sum(reads.values()) + sum(writes.values())) / args.quota
    show(apply, f"(freshness reads + writes) / {args.quota:g} = {ideal:.1f} s; "
         f"ratio {apply.seconds / ideal:.2f}")
    print()


if __name__ == "__main__":
    sys.exit(main())
