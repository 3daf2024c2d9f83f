"""A repeated AuthorizeSecurityGroupIngress/Egress of the very same rule returns that rule."""

from __future__ import annotations

import inspect
from typing import Any

from moto.ec2.exceptions import InvalidPermissionDuplicateError
from moto.ec2.models import security_groups

from ._patch import Patches

GAP = (
    "moto 5.2.5 under the parallel applies of env-local: about one deploy in four failed with "
    "InvalidPermission.Duplicate on a rule (network/lb-to-tasks, network/tasks-from-lb) that the "
    "configuration declares once, so the request reached moto a second time after it had already "
    "added the rule (the provider retries a create whose result it did not see). AWS's answer to a "
    "retried request is not observable here; moto's breaks the deploy. This shim answers a repeat "
    "of exactly the same rule (group, protocol, ports, peer and description) with the rule already "
    "there; a different rule that collides still gets InvalidPermission.Duplicate."
)


def _same(existing: Any, wanted: Any) -> bool:
    return existing == wanted and getattr(existing, "description", None) == getattr(wanted, "description", None)


def _retry_safe(original: Any, rules_attr: str, is_egress: bool) -> Any:
    signature = inspect.signature(original)

    def authorize(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except InvalidPermissionDuplicateError:
            call = signature.bind(self, *args, **kwargs)
            call.apply_defaults()
            a = call.arguments
            group = self.get_security_group_by_name_or_id(a["group_name_or_id"], a.get("vpc_id"))
            ip_ranges = a["ip_ranges"] or []
            if isinstance(ip_ranges, str):
                ip_ranges = [{"CidrIp": ip_ranges}]
            wanted = list(
                self._iterate_security_rules(
                    a["ip_protocol"],
                    group.group_id,
                    a["from_port"],
                    a["to_port"],
                    ip_ranges,
                    self._add_source_group(a.get("source_groups"), a.get("vpc_id")),
                    a.get("prefix_list_ids") or [],
                    is_egress=is_egress,
                    tags=a.get("sgrule_tags") or {},
                )
            )
            found = [next((r for r in getattr(group, rules_attr) if _same(r, w)), None) for w in wanted]
            if not wanted or any(r is None for r in found):
                raise
            return found, group

    return authorize


def patches() -> Patches:
    """Wrap ``SecurityGroupBackend.authorize_security_group_ingress`` / ``_egress``."""
    cls = security_groups.SecurityGroupBackend
    return {
        cls: {
            "authorize_security_group_ingress": _retry_safe(cls.authorize_security_group_ingress, "ingress_rules", False),
            "authorize_security_group_egress": _retry_safe(cls.authorize_security_group_egress, "egress_rules", True),
        }
    }
