"""Run the real ``eic`` command the way a user does, and capture what it says.

By default the command runs in this process (``reconciler.cli.main``) with
the sandbox's environment, which is the same code path as the console
script and ten times faster than a new interpreter per run. Set
``EIC_TEST_SUBPROCESS=1`` to run every call as a separate ``eic`` process.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.ui import Ui

SUBPROCESS = os.environ.get("EIC_TEST_SUBPROCESS") == "1"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root``; returns ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


class EicRunner:
    def __init__(self, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.env = env
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, subprocess_: bool = SUBPROCESS, **env: str) -> Result:
        merged = {**self.env, **env}
        if subprocess_:
            return self._subprocess(args, merged)
        for key, value in merged.items():
            self.monkeypatch.setenv(key, value)
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), ui=Ui(out, err))
        return Result(code, out.getvalue(), err.getvalue())

    @staticmethod
    def _subprocess(args: tuple[str, ...], env: dict[str, str]) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def eic(world, monkeypatch: pytest.MonkeyPatch) -> EicRunner:
    """The eic command, pointed at a freshly emptied sandbox."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "GITHUB_ACTIONS", "NO_COLOR"):
        monkeypatch.delenv(key, raising=False)
    return EicRunner(dict(world.env), monkeypatch)
