"""EnvironmentBudget and CostAllocationTags, asserted on the synthesized JSON and validated by Terraform."""

from __future__ import annotations

import pytest

from modules.cost import CostAllocationTags, EnvironmentBudget
from tests.synth import only, resources_of

EMAILS = ["platform-team@example.com", "finance@example.com"]


def budget_json(aws_stack, synth, **overrides) -> dict:
    stack = aws_stack()
    args = {"name": "geoapp-staging-monthly", "environment_tag": "staging", "monthly_limit_usd": 250, "alert_emails": EMAILS}
    EnvironmentBudget(stack, "budget", **{**args, **overrides})
    return only(synth(stack), "aws_budgets_budget")


def test_budget_is_a_monthly_usd_cost_budget_over_the_environment_tag(aws_stack, synth):
    budget = budget_json(aws_stack, synth)
    assert budget["name"] == "geoapp-staging-monthly"
    assert (budget["budget_type"], budget["time_unit"]) == ("COST", "MONTHLY")
    assert (budget["limit_amount"], budget["limit_unit"]) == ("250.00", "USD")
    assert budget["cost_filter"] == [{"name": "TagKeyValue", "values": ["user:Environment$staging"]}]


def test_budget_alerts_the_addresses_at_80_percent_actual_and_100_percent_forecast(aws_stack, synth):
    notifications = {n["notification_type"]: n for n in budget_json(aws_stack, synth)["notification"]}
    assert set(notifications) == {"ACTUAL", "FORECASTED"}
    for kind, threshold in (("ACTUAL", 80), ("FORECASTED", 100)):
        notification = notifications[kind]
        assert notification["comparison_operator"] == "GREATER_THAN"
        assert (notification["threshold"], notification["threshold_type"]) == (threshold, "PERCENTAGE")
        assert notification["subscriber_email_addresses"] == EMAILS


def test_budget_thresholds_limit_and_tag_key_are_arguments(aws_stack, synth):
    budget = budget_json(
        aws_stack, synth, monthly_limit_usd=12.5, actual_threshold_percent=50, forecast_threshold_percent=90, tag_key="Stage"
    )
    assert budget["limit_amount"] == "12.50"
    assert budget["cost_filter"][0]["values"] == ["user:Stage$staging"]
    assert sorted(n["threshold"] for n in budget["notification"]) == [50, 90]


def test_tag_values_reach_aws_verbatim_even_when_they_look_like_terraform_templates(aws_stack, synth):
    # "${" would otherwise be read by Terraform as an interpolation.
    budget = budget_json(aws_stack, synth, environment_tag="qa-${x}")
    assert budget["cost_filter"][0]["values"] == ["user:Environment$qa-$${x}"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"monthly_limit_usd": 0}, "monthly_limit_usd must be greater than 0, not 0"),
        ({"alert_emails": []}, "alert_emails needs 1 to 10 addresses, got 0"),
        ({"alert_emails": [f"a{i}@example.com" for i in range(11)]}, "alert_emails needs 1 to 10 addresses, got 11"),
        ({"alert_emails": ["not-an-address"]}, "alert_emails: 'not-an-address' is not an e-mail address"),
        ({"name": "geoapp:staging"}, "name 'geoapp:staging' must be 1-100 characters without ':'"),
        ({"environment_tag": ""}, "environment_tag is empty"),
        ({"actual_threshold_percent": 0}, "actual_threshold_percent must be greater than 0"),
    ],
)
def test_bad_budget_arguments_fail_at_construction(aws_stack, synth, overrides, message):
    with pytest.raises(ValueError, match="EnvironmentBudget: ") as caught:
        budget_json(aws_stack, synth, **overrides)
    assert message in str(caught.value)


def test_cost_allocation_tags_activates_each_key(aws_stack, synth):
    stack = aws_stack()
    construct = CostAllocationTags(stack, "cost-tags", tag_keys=["Environment", "Owner", "Application"])
    tags = resources_of(synth(stack), "aws_ce_cost_allocation_tag").values()
    assert sorted((t["tag_key"], t["status"]) for t in tags) == [
        ("Application", "Active"),
        ("Environment", "Active"),
        ("Owner", "Active"),
    ]
    assert sorted(construct.tags) == ["Application", "Environment", "Owner"]


@pytest.mark.parametrize(
    ("keys", "message"),
    [([], "tag_keys is empty"), (["Owner", "Owner"], "tag_keys lists Owner more than once"), (["  "], "empty key")],
)
def test_bad_tag_keys_fail_at_construction(aws_stack, keys, message):
    with pytest.raises(ValueError, match=message):
        CostAllocationTags(aws_stack(), "cost-tags", tag_keys=keys)


def test_budget_and_cost_allocation_tags_pass_terraform_validate(aws_stack, synth, terraform_validate):
    stack = aws_stack()
    EnvironmentBudget(stack, "budget", name="geoapp-staging-monthly", environment_tag="staging", monthly_limit_usd=250, alert_emails=EMAILS)
    CostAllocationTags(stack, "cost-tags", tag_keys=["Environment", "Owner", "Application"])
    assert "The configuration is valid" in terraform_validate(synth(stack))
