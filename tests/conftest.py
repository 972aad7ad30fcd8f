"""Shared fixtures: the sandbox endpoint and a runner for the real CLI."""
from fixtures_sandbox import sandbox, world  # noqa: F401
from fixtures_cli import eic  # noqa: F401
