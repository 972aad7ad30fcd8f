"""The errors eic expects, and how each is told to the user.

Every failure the tool foresees is an ``EicError``; the CLI turns it into a
message on stderr and exit code 1. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was declared: a file and a 1-based line and column."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.col or 1}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, found before any AWS call."""

    location: Location
    message: str
    doc_path: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: "
        inside = f"{self.doc_path}: " if self.doc_path else ""
        return f"{where}{inside}{self.message}"


class EicError(Exception):
    """A failure eic expected: reported as a message, exit code 1."""


class InputError(EicError):
    """The configs directory is not valid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        super().__init__(f"{len(problems)} problem(s) in the configs")


class AwsCallError(EicError):
    """AWS refused a call; keeps its error code and message for the report."""

    def __init__(self, what: str, code: str, message: str, hint: str = "") -> None:
        self.what = what
        self.code = code
        self.aws_message = message
        self.hint = hint
        text = f"{what}: AWS said {code}: {message}"
        super().__init__(f"{text}. {hint}" if hint else text)


def _problem_order(problem: Problem) -> tuple[str, int, int]:
    loc = problem.location
    return (loc.path, loc.line or 0, loc.col or 0)


def connection_error(err: Exception) -> EicError:
    """A clear message for a botocore failure the user can fix: credentials,
    profile, config file, region or network."""
    import botocore.exceptions  # late: only ever called once botocore is loaded

    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return EicError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or "
            "run inside a role (for the local endpoint any dummy keys do)"
        )
    if isinstance(err, botocore.exceptions.NoRegionError):
        return EicError("no AWS region: set AWS_REGION or `regions` in eic.yaml")
    if isinstance(err, botocore.exceptions.EndpointConnectionError):
        return EicError(
            f"cannot reach AWS at {err.kwargs.get('endpoint_url')}: is the "
            "endpoint up (for the sandbox: `eic sandbox`)?"
        )
    return EicError(f"AWS configuration or network problem: {err}")
