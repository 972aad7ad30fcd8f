"""Questions the async-config API asks of moto's Lambda and IAM backends.

Functions, versions, aliases and roles stay in moto; only the async configs
live in the sandbox's own store. Everything moto-specific is in this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.utils import get_backend
from moto.core.exceptions import ServiceException
from moto.iam.models import Role, iam_backends
from werkzeug.exceptions import HTTPException

from .names import LATEST

# moto raises these two families for "no such thing" (and other refusals).
MOTO_ERRORS = (ServiceException, HTTPException)


class Lambdas:
    """Read-only view of the functions of one account."""

    def __init__(self, account: str) -> None:
        self.account = account

    def backend(self, region: str) -> LambdaBackend:
        # moto picks its "simple" (no Docker) Lambda backend by configuration;
        # ask it which one, or the sandbox and moto would see different state.
        return get_backend(self.account, region)

    def function(
        self, account: str, region: str, name: str, qualifier: str = LATEST
    ) -> LambdaFunction | None:
        """The function a qualifier names: $LATEST, a version or an alias."""
        if not self.function_exists(account, region, name):
            return None
        backend = self.backend(region)
        if qualifier == LATEST:
            return backend.get_function(name)
        for version in backend.list_versions_by_function(name):
            if str(version.version) == qualifier:
                return version
        return self._alias_target(backend, name, qualifier)

    def function_exists(self, account: str, region: str, name: str) -> bool:
        if account != self.account:
            return False
        try:
            self.backend(region).get_function(name)
        except (*MOTO_ERRORS, KeyError):
            return False
        return True

    def execution_role_policies(self, fn: LambdaFunction) -> list[Mapping[str, Any]]:
        """The identity policies of a function's role: inline and attached."""
        return self.role_policies(fn.role) or []

    def role_policies(self, role_arn: str) -> list[Mapping[str, Any]] | None:
        """A role's inline and attached policies; None when there is no role."""
        role = self._role(role_arn)
        if role is None:
            return None
        texts = list(role.policies.values())
        for managed in role.managed_policies.values():
            texts += [v.document for v in managed.versions if v.is_default]
        return [_document(text) for text in texts]

    def _alias_target(
        self, backend: LambdaBackend, name: str, alias: str
    ) -> LambdaFunction | None:
        try:
            return backend.get_function(name, backend.get_alias(alias, name).name)
        except MOTO_ERRORS:
            return None

    def _role(self, role_arn: str) -> Role | None:
        parts = role_arn.split(":")
        if len(parts) < 6 or parts[4] != self.account:
            return None
        try:
            return iam_backends[self.account][parts[1]].get_role_by_arn(role_arn)
        except (*MOTO_ERRORS, KeyError):
            return None


def _document(text: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}
