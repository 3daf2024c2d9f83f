"""Guard-rails: rules every resource in a stack must obey, run as one Aspect.

Each rule is a small object with an ``id``, a one-line ``why`` and a
``check(node)`` that returns ``None`` (pass) or the reason it fails. The
``GuardRails`` aspect visits every node of a stack and turns each failure into an
error annotation, which makes ``cdktf synth`` fail with the rule id, the
construct path and the reason. New rules are added to ``DEFAULT_RULES``; no
construct repeats these checks itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jsii
from cdktf import Annotations, IAspect, TerraformResource, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import IConstruct

from modules.config import MANDATORY_TAGS


def _default_tags(provider: AwsProvider | None) -> dict[str, str]:
    if provider is None or not provider.default_tags:
        return {}
    merged: dict[str, str] = {}
    for block in provider.default_tags:
        merged.update(block.tags or {})
    return merged


def _stack_default_aws_provider(node: IConstruct) -> AwsProvider | None:
    stack = TerraformStack.of(node)
    for child in stack.node.children:
        if isinstance(child, AwsProvider) and not child.alias:
            return child
    return None


@dataclass(frozen=True)
class RequiredTags:
    """Every taggable AWS resource ends up with the mandatory cost tags."""

    keys: Sequence[str] = MANDATORY_TAGS
    id: str = "TAG-001"
    why: str = "cost reports by Environment/Owner/Application miss untagged resources"

    def check(self, node: IConstruct) -> str | None:
        if not isinstance(node, TerraformResource) or not node.terraform_resource_type.startswith("aws_"):
            return None
        if not hasattr(node, "tags_input"):
            return None  # the resource type takes no tags
        provider = node.provider if isinstance(node.provider, AwsProvider) else _stack_default_aws_provider(node)
        effective = {**_default_tags(provider), **(node.tags_input or {})}
        missing = [k for k in self.keys if not str(effective.get(k, "")).strip()]
        if missing:
            return f"{node.terraform_resource_type} would be created without tag(s) {', '.join(missing)}"
        return None


DEFAULT_RULES = (RequiredTags(),)


@jsii.implements(IAspect)
class GuardRails:
    """Runs every rule over every node; a failure is a synth error."""

    def __init__(self, rules: Iterable = DEFAULT_RULES):
        self.rules = tuple(rules)

    def visit(self, node: IConstruct) -> None:
        for rule in self.rules:
            reason = rule.check(node)
            if reason:
                Annotations.of(node).add_error(f"[{rule.id}] {reason} ({rule.why})")
