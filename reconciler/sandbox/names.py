"""Function names as Lambda accepts them, and the config each one targets.

Lambda takes NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:QUALIFIER] and
arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]; one regular
expression, following the groups of botocore's NamespacedFunctionName
pattern, splits all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import invalid_parameter, not_found, validation_error

LATEST = "$LATEST"

_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d"
_FUNCTION_NAME = re.compile(
    r"(?:arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:)?"
    rf"(?:(?P<region>{_REGION}):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_.\-]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_\-]+))?"
)
_QUALIFIER = re.compile(r"\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_\-$]+")
_NAME_MAX = 256
_QUALIFIER_MAX = 128


@dataclass(frozen=True)
class Target:
    """One async config: a function's qualifier in an account and region."""

    account: str
    region: str
    function: str
    qualifier: str

    @property
    def function_arn(self) -> str:
        return function_arn(self.account, self.region, self.function)

    @property
    def arn(self) -> str:
        """Responses always name the qualified ARN, $LATEST included."""
        return f"{self.function_arn}:{self.qualifier}"


@dataclass(frozen=True)
class FunctionName:
    name: str
    qualifier: str | None
    account: str | None
    region: str | None


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def function_arn(account: str, region: str, name: str) -> str:
    return f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"


def value_problem(value: str, where: str, constraint: str) -> str:
    return f"Value '{value}' at '{where}' failed to satisfy constraint: {constraint}"


def range_problems(value: int, where: str, bounds: tuple[int, int]) -> list[str]:
    low, high = bounds
    if value < low:
        rule = f"Member must have value greater than or equal to {low}"
    elif value > high:
        rule = f"Member must have value less than or equal to {high}"
    else:
        return []
    return [value_problem(str(value), where, rule)]


def _text_problems(
    value: str, where: str, pattern: re.Pattern[str], most: int
) -> list[str]:
    if len(value) > most:
        rule = f"Member must have length less than or equal to {most}"
        return [value_problem(value, where, rule)]
    if not pattern.fullmatch(value):
        rule = f"Member must satisfy regular expression pattern: {pattern.pattern}"
        return [value_problem(value, where, rule)]
    return []


def name_problems(spelling: str) -> list[str]:
    return _text_problems(spelling, "functionName", _FUNCTION_NAME, _NAME_MAX)


def parse_function_name(spelling: str) -> FunctionName:
    """Split a spelling; ValidationException when it matches no spelling."""
    match = _FUNCTION_NAME.fullmatch(spelling)
    if match is None or len(spelling) > _NAME_MAX:
        raise validation_error(name_problems(spelling))
    return FunctionName(
        name=match["name"],
        qualifier=match["qualifier"],
        account=match["account"],
        region=match["region"],
    )


def qualifier_problems(qualifier: str | None) -> list[str]:
    if qualifier is None:
        return []
    return _text_problems(qualifier, "qualifier", _QUALIFIER, _QUALIFIER_MAX)


def resolve_target(
    spelling: str, qualifier: str | None, account: str, region: str
) -> Target:
    """The config a request names, before anything is looked up.

    A qualifier may come from the name and from ?Qualifier=; they must agree.
    No qualifier at all means $LATEST: it is one single config.
    """
    problems = name_problems(spelling) + qualifier_problems(qualifier)
    if problems:
        raise validation_error(problems)
    parsed = parse_function_name(spelling)
    if parsed.qualifier and qualifier and parsed.qualifier != qualifier:
        raise invalid_parameter(
            "The derived qualifier from the function name does not match the "
            "specified qualifier."
        )
    return Target(
        account=parsed.account or account,
        region=parsed.region or region,
        function=parsed.name,
        qualifier=parsed.qualifier or qualifier or LATEST,
    )


def check_reachable(target: Target, region: str) -> None:
    """An ARN of another region cannot be served by this region's endpoint."""
    if target.region != region:
        raise not_found(
            f"Functions from '{target.region}' are not reachable in this region "
            f"('{region}')"
        )
