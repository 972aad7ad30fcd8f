"""``eic iam-policy DIR``: the least IAM policy eic needs for one directory.

Reads no AWS state. Resources are the functions the directory declares and
the scope patterns it owns, in each region it touches, with ``:*`` so that
version and alias configs are covered.
"""

from __future__ import annotations

import argparse
import json
import re

from reconciler import loader
from reconciler.errors import EicError
from reconciler.loader import ConfigSet
from reconciler.ui import Ui

READ_ACTIONS = [
    "lambda:ListFunctionEventInvokeConfigs",
    "lambda:GetFunctionEventInvokeConfig",
]
WRITE_ACTIONS = [
    "lambda:PutFunctionEventInvokeConfig",
    "lambda:UpdateFunctionEventInvokeConfig",
    "lambda:DeleteFunctionEventInvokeConfig",
]
# IAM matches only * and ?; a shell character class becomes a wider *.
_CHARACTER_CLASS = re.compile(r"\[[^\]]*\]")


def run(args: argparse.Namespace, ui: Ui) -> int:
    region = loader.environment_region()
    configs = loader.load_directory(args.directory, region)
    if args.account and not (args.account.isdigit() and len(args.account) == 12):
        raise EicError(f"--account `{args.account}` is not a 12-digit account ID")
    account = configs.settings.account or args.account or "*"
    if account == "*":
        ui.warn("no account in eic.yaml or --account: the policy uses `*`")
    document = policy(configs, account, args.mode, region, not args.no_preflight)
    ui.print(json.dumps(document, indent=2))
    return 0


def policy(
    configs: ConfigSet,
    account: str,
    mode: str,
    default_region: str | None,
    preflight: bool = True,
) -> dict:
    resources = function_resources(configs, account, default_region)
    statements = []
    if any(set(p) & set("*?[") for p in configs.settings.scope):
        statements.append(
            _statement("ExpandScopePatterns", ["lambda:ListFunctions"], "*")
        )
    statements.append(_statement("ReadAsyncConfigs", READ_ACTIONS, resources))
    if preflight:
        statements += preflight_statements(configs, account, resources)
    if mode == "apply":
        statements.append(_statement("WriteAsyncConfigs", WRITE_ACTIONS, resources))
    return {"Version": "2012-10-17", "Statement": statements}


# What preflight asks of each destination service, to see that it exists.
_EXISTS_ACTIONS = {
    "sqs": "sqs:GetQueueUrl",
    "sns": "sns:GetTopicAttributes",
    "events": "events:DescribeEventBus",
    "s3": "s3:ListBucket",
    "lambda": "lambda:GetFunctionConfiguration",
}


def preflight_statements(
    configs: ConfigSet, account: str, functions: list[str]
) -> list[dict]:
    """The reads of plan's preflight: functions, destinations, role checks."""
    by_action: dict[str, set[str]] = {}
    for desired in configs.desired.values():
        for arn in (desired.settings.on_success, desired.settings.on_failure):
            if arn:
                action = _EXISTS_ACTIONS[arn.split(":")[2]]
                by_action.setdefault(action, set()).add(arn)
    statements = [
        _statement(
            "PreflightFunctionsAndAliases",
            ["lambda:GetFunctionConfiguration", "lambda:GetAlias"],
            functions,
        )
    ]
    for action, arns in sorted(by_action.items()):
        sid = "PreflightDestinationsExist" + action.split(":")[0].capitalize()
        statements.append(_statement(sid, [action], sorted(arns)))
    # The execution roles are known only to AWS; narrow this to yours.
    roles = f"arn:aws:iam::{account}:role/*"
    statements.append(
        _statement("PreflightRolesMaySend", ["iam:SimulatePrincipalPolicy"], roles)
    )
    return statements


def function_resources(
    configs: ConfigSet, account: str, default_region: str | None
) -> list[str]:
    regions = set(configs.settings.regions)
    if not regions and default_region:
        regions.add(default_region)
    # A declared function that a scope pattern already covers needs no ARN.
    declared = {
        (i.region, i.function)
        for i in configs.desired
        if not (i.region in regions and configs.settings.owns(i.function))
    }
    owned = {
        (region, _CHARACTER_CLASS.sub("*", pattern))
        for region in regions
        for pattern in configs.settings.scope
    }
    arns = []
    for region, name in sorted(declared | owned):
        base = f"arn:aws:lambda:{region}:{account}:function:{name}"
        arns += [base, f"{base}:*"]
    return arns


def _statement(sid: str, actions: list[str], resources: str | list[str]) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
