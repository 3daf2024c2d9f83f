"""Cost visibility: a monthly budget per environment, and the account's cost allocation tags.

* :class:`EnvironmentBudget` belongs in each env stack. It watches the costs that carry the
  environment's ``Environment`` tag (the provider's ``default_tags`` put it on everything)
  and mails the env file's addresses when actual spend passes 80 % or the month's forecast
  passes 100 % of the limit.
* :class:`CostAllocationTags` belongs in the bootstrap stack, behind an option: activating a
  cost allocation tag is an account-level switch that only the paying (management) account
  may flip. A budget filtered by a tag sees nothing until that tag is active (and AWS needs
  up to 24 h after activation before tagged costs appear).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.budgets_budget import (
    BudgetsBudget,
    BudgetsBudgetCostFilter,
    BudgetsBudgetNotification,
)
from cdktf_cdktf_provider_aws.ce_cost_allocation_tag import CeCostAllocationTag
from constructs import Construct

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_BUDGET_NAME = re.compile(r"[^:\\]{1,100}")  # AWS Budgets: 1-100 characters, no ':' or '\'
_MAX_SUBSCRIBERS = 10  # AWS Budgets: e-mail subscribers per notification


def _terraform_literal(text: str) -> str:
    """Escape Terraform template sequences so ``text`` reaches AWS verbatim."""
    return text.replace("${", "$${").replace("%{", "%%{")


class EnvironmentBudget(Construct):
    """A monthly COST budget over the costs tagged ``<tag_key>=<environment_tag>``.

    Attributes:
        budget: the ``BudgetsBudget``.
        cost_filter_value: the ``TagKeyValue`` filter value, e.g. ``user:Environment$staging``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        environment_tag: str,
        monthly_limit_usd: float,
        alert_emails: Sequence[str],
        actual_threshold_percent: float = 80,
        forecast_threshold_percent: float = 100,
        tag_key: str = "Environment",
    ) -> None:
        """Create the budget and its two e-mail notifications.

        Args:
            name: budget name, unique in the account (1-100 characters, no ``:`` or ``\\``).
            environment_tag: value of the environment tag to filter on, e.g. ``staging``.
            monthly_limit_usd: the monthly limit in USD (> 0).
            alert_emails: 1 to 10 addresses that receive both alerts.
            actual_threshold_percent: alert when actual spend exceeds this % of the limit.
                Default: 80.
            forecast_threshold_percent: alert when the month's forecast exceeds this % of the
                limit. Default: 100.
            tag_key: the cost allocation tag that names the environment. Default:
                ``Environment``. It must be activated (:class:`CostAllocationTags`).
        """
        super().__init__(scope, id_)
        emails = list(alert_emails)
        problems = []
        if not _BUDGET_NAME.fullmatch(name):
            problems.append(f"name {name!r} must be 1-100 characters without ':' or '\\'")
        if not environment_tag:
            problems.append("environment_tag is empty")
        if not monthly_limit_usd > 0:
            problems.append(f"monthly_limit_usd must be greater than 0, not {monthly_limit_usd}")
        if not 1 <= len(emails) <= _MAX_SUBSCRIBERS:
            problems.append(f"alert_emails needs 1 to {_MAX_SUBSCRIBERS} addresses, got {len(emails)}")
        problems += [f"alert_emails: {e!r} is not an e-mail address" for e in emails if not _EMAIL.fullmatch(e)]
        for label, value in (
            ("actual_threshold_percent", actual_threshold_percent),
            ("forecast_threshold_percent", forecast_threshold_percent),
        ):
            if not value > 0:
                problems.append(f"{label} must be greater than 0, not {value}")
        if problems:
            raise ValueError("EnvironmentBudget: " + "; ".join(problems))

        self.cost_filter_value = f"user:{tag_key}${environment_tag}"
        self.budget = BudgetsBudget(
            self,
            "budget",
            name=_terraform_literal(name),
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{monthly_limit_usd:.2f}",
            limit_unit="USD",
            cost_filter=[BudgetsBudgetCostFilter(name="TagKeyValue", values=[_terraform_literal(self.cost_filter_value)])],
            notification=[
                BudgetsBudgetNotification(
                    notification_type="ACTUAL",
                    comparison_operator="GREATER_THAN",
                    threshold=actual_threshold_percent,
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=emails,
                ),
                BudgetsBudgetNotification(
                    notification_type="FORECASTED",
                    comparison_operator="GREATER_THAN",
                    threshold=forecast_threshold_percent,
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=emails,
                ),
            ],
        )


class CostAllocationTags(Construct):
    """Activates user-defined cost allocation tags for the whole (management) account.

    Deploy only with management-account credentials: member accounts get AccessDenied.
    Destroying the construct deactivates nothing retroactively; it only stops new data.

    Attributes:
        tags: tag key -> its ``CeCostAllocationTag`` (status ``Active``).
    """

    def __init__(self, scope: Construct, id_: str, *, tag_keys: Sequence[str]) -> None:
        """Activate each key in ``tag_keys`` (non-empty, no duplicates), e.g.
        ``["Environment", "Owner", "Application"]``. A key must have appeared on some
        resource's billing data before AWS accepts its activation."""
        super().__init__(scope, id_)
        keys = list(tag_keys)
        if not keys:
            raise ValueError("CostAllocationTags: tag_keys is empty")
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"CostAllocationTags: tag_keys lists {', '.join(duplicates)} more than once")
        blank = [k for k in keys if not k.strip()]
        if blank:
            raise ValueError("CostAllocationTags: tag_keys contains an empty key")
        self.tags: dict[str, CeCostAllocationTag] = {
            key: CeCostAllocationTag(
                self,
                f"tag-{re.sub(r'[^A-Za-z0-9_-]', '_', key)}",
                tag_key=_terraform_literal(key),
                status="Active",
            )
            for key in keys
        }
