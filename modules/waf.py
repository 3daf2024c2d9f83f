"""The web application firewall in front of CloudFront (AWS WAF v2, CLOUDFRONT scope)."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclRule,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
)
from constructs import Construct

#: AWS managed rule groups, in evaluation order, with the rules switched to "count".
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    # HostingProviderIPList would block GIS servers and scripts that run in clouds (OGC API
    # clients are often machines, not browsers): counted; anonymizers (Tor, VPNs) are blocked.
    ("AWSManagedRulesAnonymousIpList", ("HostingProviderIPList",)),
    # SizeRestrictions_BODY blocks bodies over 8 KB: a GeoJSON polygon written through
    # POST/PUT /api/collections/*/items is routinely larger, and the API validates bodies itself.
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


class EdgeFirewall(Construct):
    """A WAF web ACL for the distribution: AWS managed rules plus a per-IP rate limit.

    CloudFront web ACLs live in us-east-1 whatever the environment's region, so
    the caller passes a provider for that region.

    Args:
        name_prefix: the ACL is ``<name_prefix>-edge``.
        provider: an AWS provider in us-east-1.
        rate_limit_per_5min: requests one IP may send in 5 minutes before it is
            blocked for a while. Default: 2000.
        rate_limit_exempt_cidrs: IPv4 CIDRs the rate rule does not count (load-test sources,
            ``[loadtest] source_cidrs``); the managed rules still apply to them. Default: none.

    Attributes: ``web_acl``, ``arn`` (for the distribution's ``web_acl_id``), ``exempt_ip_set``
    (the ``Wafv2IpSet`` ``<name_prefix>-rate-exempt``, or None without exempt CIDRs).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        provider: TerraformProvider,
        rate_limit_per_5min: int = 2000,
        rate_limit_exempt_cidrs: Sequence[str] = (),
    ):
        super().__init__(scope, id_)
        if not 10 <= rate_limit_per_5min <= 2_000_000_000:
            raise ValueError(f"rate_limit_per_5min {rate_limit_per_5min} is outside 10..2000000000 (WAF's range)")
        rate: dict = {"limit": rate_limit_per_5min, "aggregate_key_type": "IP"}
        for_cloudfront = {"provider": provider, "scope": "CLOUDFRONT"}  # what CloudFront can use: scope CLOUDFRONT, in us-east-1
        self.exempt_ip_set: Wafv2IpSet | None = None
        if rate_limit_exempt_cidrs:
            self.exempt_ip_set = Wafv2IpSet(
                self,
                "rate-exempt",
                name=f"{name_prefix}-rate-exempt",
                description=f"{name_prefix}: load-test sources the per-IP rate rule does not count",
                **for_cloudfront,
                ip_address_version="IPV4",
                addresses=sorted(rate_limit_exempt_cidrs),
            )
            exempt = {"ip_set_reference_statement": {"arn": self.exempt_ip_set.arn}}
            rate["scope_down_statement"] = {"not_statement": {"statement": [exempt]}}
        rules = [
            Wafv2WebAclRule(
                name="rate-limit-per-ip",
                priority=0,
                action={"block": {}},
                statement={"rate_based_statement": rate},
                visibility_config=Wafv2WebAclRuleVisibilityConfig(**_visibility(f"{name_prefix}-rate-limit")),
            )
        ]
        for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS, start=1):
            statement = {"vendor_name": "AWS", "name": group}
            if counted:
                statement["rule_action_override"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in counted]
            rules.append(
                Wafv2WebAclRule(
                    name=group,
                    priority=priority,
                    override_action=Wafv2WebAclRuleOverrideAction(none={}),
                    statement={"managed_rule_group_statement": statement},
                    visibility_config=Wafv2WebAclRuleVisibilityConfig(**_visibility(f"{name_prefix}-{group}")),
                )
            )
        self.web_acl = Wafv2WebAcl(
            self,
            "acl",
            name=f"{name_prefix}-edge",
            description=f"{name_prefix}: managed rules and a per-IP rate limit in front of CloudFront",
            **for_cloudfront,
            default_action={"allow": {}},
            rule=rules,
            visibility_config=_visibility(f"{name_prefix}-edge"),
        )
        self.arn = self.web_acl.arn
