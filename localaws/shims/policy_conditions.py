"""S3 bucket policies: requests count as TLS, and statements whose conditions fail do not apply.

The emulator speaks plain HTTP on loopback, standing in for AWS endpoints that are HTTPS
only; so a bucket-policy check sees ``aws:SecureTransport = true``, as it would on AWS.
"""

from __future__ import annotations

from typing import Any

from moto.iam import access_control, policy_conditions
from moto.s3 import models as s3_models

from ._patch import Patches

GAP = (
    "moto 5.2.5, S3 bucket policies: (1) only the StringEquals condition operator is "
    "evaluated, any other (Bool, ...) counts as met; (2) a statement whose Condition is not "
    "met returns DENIED whatever its Effect, instead of not applying; (3) requests carry no "
    "aws:SecureTransport. So the usual TLS-only rule "
    "(Deny s3:* when aws:SecureTransport = false, on the state bucket) denies every "
    "request, and the S3 backend cannot read or write its state (HTTP 403)."
)

TLS_CONTEXT = {"aws:SecureTransport": "true"}
"""Condition keys every bucket-policy check sees (what AWS's HTTPS-only endpoints give)."""


def _bool_equals(expected: list[str] | str, actual: str) -> bool:
    """IAM ``Bool``: the key's value equals the expected "true"/"false" (case-insensitive)."""
    options = [expected] if isinstance(expected, str) else expected
    return str(actual).lower() in {str(o).lower() for o in options}


def patches() -> Patches:
    """Evaluate ``Bool``; unmet conditions -> NEUTRAL; bucket checks pass :data:`TLS_CONTEXT`."""
    cls = access_control.IAMPolicyStatement
    original = cls.is_action_permitted

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> access_control.PermissionResult:
        if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return access_control.PermissionResult.NEUTRAL
        policy = access_control.IAMPolicy(self.policy.decode())
        return policy.is_action_permitted(action, resource, incoming_condition_values=dict(TLS_CONTEXT))

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_equals)
    return {cls: {"is_action_permitted": is_action_permitted}, s3_models.FakeBucket: {"get_permission": get_permission}}
