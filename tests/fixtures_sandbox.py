"""Pytest fixtures for the local Lambda endpoint (`eic sandbox`).

`sandbox` starts one sandbox process per test session on a free port;
`world` gives each test an empty world, zeroed call counts and default
settings, and puts the settings back after the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
START_TIMEOUT = 30.0
# boto3 must never find a real profile or instance role while tests run.
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/eic-tests/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/eic-tests/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class SandboxHandle:
    """A running sandbox, as tests use it."""

    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.process = process
        self.env = {**DUMMY_ENV, "AWS_ENDPOINT_URL": url}
        self._clients: dict[tuple[str, str], Any] = {}

    def load_world(self, world: dict[str, Any] | str) -> dict[str, Any]:
        body = world if isinstance(world, str) else json.dumps(world)
        return self._admin("POST", "/_eic/world", body.encode())

    def calls(self) -> dict[str, int]:
        return self._admin("GET", "/_eic/calls")

    def reset_calls(self) -> None:
        self._admin("DELETE", "/_eic/calls")

    def stats(self) -> dict[str, Any]:
        return self._admin("GET", "/_eic/stats")

    def settings(self, **changes: Any) -> dict[str, Any]:
        if not changes:
            return self._admin("GET", "/_eic/settings")
        return self._admin("POST", "/_eic/settings", json.dumps(changes).encode())

    def reset_settings(self) -> dict[str, Any]:
        return self._admin("DELETE", "/_eic/settings")

    def client(self, service: str, region: str = REGION) -> Any:
        """A boto3 client for the sandbox; one per service and region, reused."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.session.Session().client(
                service,
                region_name=region,
                endpoint_url=self.url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                # One attempt: a test sees exactly the answer the sandbox gave.
                # (botocore's max_attempts counts retries; this counts all.)
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
        return self._clients[key]

    def _admin(self, method: str, path: str, body: bytes | None = None) -> Any:
        request = urllib.request.Request(self.url + path, data=body, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise SandboxAdminError(error.code, error.read().decode()) from None
        return json.loads(text) if text else None


class SandboxAdminError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def start_sandbox(*flags: str) -> SandboxHandle:
    """Start `python -m reconciler.sandbox` and wait until it answers."""
    env = {**os.environ, **DUMMY_ENV, "PYTHONPATH": str(REPO)}
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler.sandbox",
            "--port",
            "0",
            "--stop-on-stdin-eof",
            *flags,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    first = process.stdout.readline().decode().strip()
    prefix = "eic sandbox listening on "
    if not first.startswith(prefix):
        process.kill()
        raise RuntimeError(f"sandbox did not start; first line: {first!r}")
    handle = SandboxHandle(first[len(prefix) :], process)
    _wait_healthy(handle)
    return handle


def stop_sandbox(handle: SandboxHandle) -> None:
    process = handle.process
    if process.stdin:
        process.stdin.close()  # --stop-on-stdin-eof: the sandbox exits
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


def _wait_healthy(handle: SandboxHandle) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            handle._admin("GET", "/_eic/health")
            return
        except OSError:
            if time.monotonic() > deadline or handle.process.poll() is not None:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxHandle]:
    handle = start_sandbox()
    try:
        yield handle
    finally:
        stop_sandbox(handle)


@pytest.fixture
def world(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    sandbox.load_world({})
    sandbox.reset_settings()
    sandbox.reset_calls()
    yield sandbox
    # Faults or a rate limit left behind would fail the next test for it.
    sandbox.reset_settings()
