"""Security group rules keep their description whatever the rule's source."""

from __future__ import annotations

from typing import Any

from moto.ec2.models import security_groups

from ._patch import Patches

GAP = (
    "moto 5.2.5: DescribeSecurityGroupRules returns a Description only for CIDR rules; a rule "
    "whose source is another security group (or a prefix list) loses it. "
    "aws_vpc_security_group_ingress_rule / _egress_rule with referenced_security_group_id "
    "and a description then plan to set the description again on every run."
)


def patches() -> Patches:
    """Wrap ``SecurityGroupRule.__init__`` and replace its ``description`` property."""
    cls = security_groups.SecurityGroupRule
    original_init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        names = ("ip_range", "source_group", "prefix_list_id")
        sources = [kwargs.get(n) for n in names] + list(args[5:8])  # positional or keyword
        self._localaws_description = next(
            (s["Description"] for s in sources if isinstance(s, dict) and s.get("Description")),
            None,
        )

    def description(self: Any) -> str | None:
        return self._localaws_description

    return {cls: {"__init__": __init__, "description": property(description)}}
