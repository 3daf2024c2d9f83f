"""Budgets: notification subscribers and budget tags can be read and changed.

Real state: moto already stores each notification's subscribers (from CreateBudget /
CreateNotification); the subscriber actions read and change that same list. Tags
(``ResourceTags`` of CreateBudget, TagResource, UntagResource) live on the moto backend,
keyed by budget ARN, and go away with the budget.
"""

from __future__ import annotations

import json
from typing import Any

from moto.budgets.exceptions import NotFoundException
from moto.budgets.responses import BudgetsResponse

from ._patch import Patches

GAP = (
    "moto 5.2.5: Budgets DescribeSubscribersForNotification, CreateSubscriber, "
    "DeleteSubscriber, ListTagsForResource, TagResource and UntagResource are not "
    "implemented (HTTP 500), and CreateBudget ignores ResourceTags. The AWS provider reads "
    "subscribers and tags after creating aws_budgets_budget and retries the 500, so the "
    "apply hangs (seen: still creating after 8 minutes)."
)


def _key(details: dict[str, Any]) -> tuple[str, str, float, str]:
    return (
        str(details.get("NotificationType")),
        str(details.get("ComparisonOperator")),
        float(details.get("Threshold") or 0),
        str(details.get("ThresholdType") or "PERCENTAGE"),
    )


def _notification(response: BudgetsResponse) -> Any:
    account_id = response._get_param("AccountId")
    budget_name = response._get_param("BudgetName")
    wanted = _key(response._get_param("Notification") or {})
    budget = response.backend.budgets[account_id].get(budget_name)
    if budget is None:
        raise NotFoundException(f"Unable to get budget: {budget_name} - the budget doesn't exist.")
    for notification in budget.notifications:
        if _key(notification.details) == wanted:
            return notification
    raise NotFoundException(f"Unable to find the notification in budget {budget_name}.")


def _describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    notification = _notification(self)
    return json.dumps({"Subscribers": list(notification.subscribers), "NextToken": None})


def _create_subscriber(self: BudgetsResponse) -> str:
    notification = _notification(self)
    subscriber = self._get_param("Subscriber")
    if subscriber not in notification.subscribers:
        notification.subscribers = [*notification.subscribers, subscriber]
    return "{}"


def _delete_subscriber(self: BudgetsResponse) -> str:
    notification = _notification(self)
    subscriber = self._get_param("Subscriber")
    notification.subscribers = [s for s in notification.subscribers if s != subscriber]
    return "{}"


def _tags(response: BudgetsResponse) -> dict[str, dict[str, str]]:
    store = getattr(response.backend, "_localaws_tags", None)
    if store is None:
        store = {}
        response.backend._localaws_tags = store  # type: ignore[attr-defined]
    return store


def _budget_arn(account_id: str, name: str) -> str:
    return f"arn:aws:budgets::{account_id}:budget/{name}"


def _known_arn(response: BudgetsResponse) -> str:
    arn = response._get_param("ResourceARN") or ""
    account_id, _, name = arn.removeprefix("arn:aws:budgets::").partition(":budget/")
    if name not in response.backend.budgets.get(account_id, {}):
        raise NotFoundException(f"Unable to find resource {arn}")
    return arn


def _list_tags_for_resource(self: BudgetsResponse) -> str:
    tags = _tags(self).get(_known_arn(self), {})
    return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _tag_resource(self: BudgetsResponse) -> str:
    arn = _known_arn(self)
    new = {t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []}
    _tags(self)[arn] = {**_tags(self).get(arn, {}), **new}
    return "{}"


def _untag_resource(self: BudgetsResponse) -> str:
    arn = _known_arn(self)
    keys = set(self._get_param("ResourceTagKeys") or [])
    _tags(self)[arn] = {k: v for k, v in _tags(self).get(arn, {}).items() if k not in keys}
    return "{}"


def patches() -> Patches:
    """Add the subscriber and tag actions; make CreateBudget keep tags, DeleteBudget drop them."""
    cls = BudgetsResponse
    original_create = cls.create_budget
    original_delete = cls.delete_budget

    def create_budget(self: BudgetsResponse) -> str:
        body = original_create(self)
        account_id = self._get_param("AccountId")
        arn = _budget_arn(account_id, self._get_param("Budget")["BudgetName"])
        _tags(self)[arn] = {t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []}
        return body

    def delete_budget(self: BudgetsResponse) -> str:
        body = original_delete(self)
        _tags(self).pop(_budget_arn(self._get_param("AccountId"), self._get_param("BudgetName")), None)
        return body

    return {
        cls: {
            "create_budget": create_budget,
            "delete_budget": delete_budget,
            "list_tags_for_resource": _list_tags_for_resource,
            "tag_resource": _tag_resource,
            "untag_resource": _untag_resource,
            "describe_subscribers_for_notification": _describe_subscribers_for_notification,
            "create_subscriber": _create_subscriber,
            "delete_subscriber": _delete_subscriber,
        }
    }
