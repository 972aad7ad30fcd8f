"""Shared fixtures: the sandbox endpoint and a runner for the real CLI."""
