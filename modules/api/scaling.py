"""The API's scaling: an Application Auto Scaling target, step policies and the CPU alarms that drive them.

Step scaling on two alarms, not target tracking: target tracking takes a single target value
and scales in at its own (undocumented) margin below it, so it cannot honour both numbers of
the env file. Here the scale-out alarm fires at average CPU >= ``scale_up_cpu_percent`` and the
scale-in alarm at <= ``scale_down_cpu_percent``, each exactly as written.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from environment.config import ApiSettings

SCALE_OUT_PERIODS = 3
"""Minutes of high CPU before a task is added."""
SCALE_IN_PERIODS = 15
"""Minutes of low CPU before a task is removed."""


class CpuScaling:
    """Scale the ECS service between ``min_tasks`` and ``max_tasks`` on its average CPU.

    A part of :class:`modules.api.ApiService`, created in its scope with the ids it had before
    the split (``scaling-target``, ``scale-out``, ``scale-in``, ``cpu-high``, ``cpu-low``), so
    Terraform's logical ids do not change.

    Args:
        settings: the env file's ``[api]`` (task counts, CPU thresholds).
        name_prefix: ``<app>-<env>``; policies and alarms are ``<name_prefix>-api-<id>``.
        cluster_name / service_name: the ECS service scaled.
        scale_out_cooldown_seconds / scale_in_cooldown_seconds: pauses after a step.

    Attributes: ``scaling_target``, ``scale_out_policy``, ``scale_in_policy``, ``scale_out_alarm``, ``scale_in_alarm``.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        settings: ApiSettings,
        name_prefix: str,
        cluster_name: str,
        service_name: str,
        scale_out_cooldown_seconds: int,
        scale_in_cooldown_seconds: int,
    ):
        self._scope = scope
        self._name_prefix = name_prefix
        self._dimensions = {"ClusterName": cluster_name, "ServiceName": service_name}
        self.scaling_target = AppautoscalingTarget(
            scope,
            "scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service_name}",
            min_capacity=settings.min_tasks,
            max_capacity=settings.max_tasks,
        )
        self.scale_out_policy = self._step_policy("scale-out", 1, scale_out_cooldown_seconds, {"metric_interval_lower_bound": "0"})
        self.scale_in_policy = self._step_policy("scale-in", -1, scale_in_cooldown_seconds, {"metric_interval_upper_bound": "0"})
        self.scale_out_alarm = self._cpu_alarm(
            "cpu-high", "GreaterThanOrEqualToThreshold", settings.scale_up_cpu_percent, SCALE_OUT_PERIODS, self.scale_out_policy
        )
        self.scale_in_alarm = self._cpu_alarm(
            "cpu-low", "LessThanOrEqualToThreshold", settings.scale_down_cpu_percent, SCALE_IN_PERIODS, self.scale_in_policy
        )

    def _step_policy(self, name: str, adjustment: int, cooldown: int, bounds: dict) -> AppautoscalingPolicy:
        return AppautoscalingPolicy(
            self._scope,
            name,
            name=f"{self._name_prefix}-api-{name}",
            policy_type="StepScaling",
            service_namespace=self.scaling_target.service_namespace,
            scalable_dimension=self.scaling_target.scalable_dimension,
            resource_id=self.scaling_target.resource_id,
            step_scaling_policy_configuration={
                "adjustment_type": "ChangeInCapacity",
                "metric_aggregation_type": "Average",
                "cooldown": cooldown,
                "step_adjustment": [
                    AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment(scaling_adjustment=adjustment, **bounds)
                ],
            },
        )

    def _cpu_alarm(self, name: str, comparison: str, threshold: int, periods: int, policy: AppautoscalingPolicy) -> CloudwatchMetricAlarm:
        return CloudwatchMetricAlarm(
            self._scope,
            name,
            alarm_name=f"{self._name_prefix}-api-{name}",
            alarm_description=f"API average CPU {comparison} {threshold}% for {periods} minute(s)",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions=self._dimensions,
            statistic="Average",
            period=60,
            evaluation_periods=periods,
            threshold=threshold,
            comparison_operator=comparison,
            alarm_actions=[policy.arn],
            treat_missing_data="notBreaching" if "Greater" in comparison else "missing",
        )
