"""Operations alarms: one encrypted SNS topic per environment and what goes to it."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import CloudwatchLogMetricFilter
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from environment.config import AlarmSettings
from modules.iam import policy_document
from modules.kms import account_and_partition, rotating_key

#: gunicorn's access log line (``geoapi.gunicorn_conf.access_log_format``: the default format, then
#: ``%(m)s`` the method and ``%(M)s`` the response time in ms), as CloudWatch Logs space-delimited
#: fields ([...] and "..." are one field). The filters below name the response time ``duration_ms``.
ACCESS_LOG_FIELDS = "host, ident, user, timestamp, request, status, bytes, referer, agent, method"
METRIC_NAMESPACE = "GeoApp/API"
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
PERIOD_SECONDS = 60
"""Every alarm reads one datapoint a minute, so ``[alarms] evaluation_minutes`` is its number of periods."""


@dataclass(frozen=True)
class AlarmTargets:
    """What the alarms watch; every value may be a Terraform reference."""

    load_balancer_arn_suffix: str
    target_group_arn_suffix: str
    ecs_cluster_name: str
    ecs_service_name: str
    ecs_service_arn: str
    api_log_group_name: str
    db_cluster_identifier: str
    db_max_capacity_acu: float
    distribution_id: str | None = None
    """CloudFront distribution of the site; its 5xx alarm lives in us-east-1 (needs ``edge_provider``)."""


class OperationsAlarms(Construct):
    """An SNS topic (own KMS key, so CloudWatch and EventBridge may publish) with e-mail
    subscribers, and alarms for the API and the database.

    Alarms: unhealthy NLB targets; running tasks below desired (Container Insights); API 5xx
    share and p99 latency (metric filters on the gunicorn access log); CloudFront's 5xx rate
    (with ``targets.distribution_id``); Aurora capacity at its maximum
    (``ServerlessDatabaseCapacity``), CPU and connections. An EventBridge rule sends failed ECS
    deployments (``SERVICE_DEPLOYMENT_FAILED``) to the same topic. Every threshold is a field
    of :class:`environment.config.AlarmSettings` with its default written there.

    CloudFront publishes its metrics in us-east-1 only, and an alarm notifies topics of its own
    region only: the CloudFront alarm goes to a second topic (own key, same subscribers),
    ``<prefix>-alarms-edge``, made with ``edge_provider`` (a us-east-1 provider).

    Attributes: ``topic``, ``key``, ``edge_topic`` (or None), ``alarms`` (name -> alarm),
    ``deployment_rule``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        settings: AlarmSettings,
        emails: list[str],
        targets: AlarmTargets,
        edge_provider: TerraformProvider | None = None,
    ):
        super().__init__(scope, id_)
        if (targets.distribution_id is None) != (edge_provider is None):
            raise ValueError("targets.distribution_id and edge_provider go together: CloudFront's alarm lives in us-east-1")
        self._prefix, self._settings, self._targets = name_prefix, settings, targets
        self._account, self._partition = account_and_partition(self)
        self._topic_arns: dict[SnsTopic, str] = {}  # read once each: every read is a jsii round trip
        self.key, self.topic = self._topic("", emails)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        self._service_alarms()
        self._api_alarms()
        self._database_alarms()
        self.deployment_rule = self._deployment_rule()
        self.edge_topic = None
        if edge_provider is not None:
            _, self.edge_topic = self._topic("edge", emails, provider=edge_provider)
            self._cdn_alarm(edge_provider)

    def _topic(self, kind: str, emails: list[str], provider: TerraformProvider | None = None) -> tuple[KmsKey, SnsTopic]:
        """A KMS-encrypted topic that CloudWatch and EventBridge of this account may publish to."""
        at, suffix = (f"{kind}-", f"-{kind}") if kind else ("", "")
        key = self._key(at, suffix, provider)
        topic = SnsTopic(self, f"{at}topic", name=f"{self._prefix}-alarms{suffix}", kms_master_key_id=key.arn, provider=provider)
        topic_arn = self._topic_arns[topic] = topic.arn
        SnsTopicPolicy(
            self,
            f"{at}topic-policy",
            arn=topic_arn,
            provider=provider,
            policy=policy_document(
                {
                    "Sid": "AlarmsAndEventsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": self._account}},
                }
            ),
        )
        for n, email in enumerate(emails):
            SnsTopicSubscription(self, f"{at}email-{n}", topic_arn=topic_arn, protocol="email", endpoint=email, provider=provider)
        return key, topic

    def _key(self, at: str, suffix: str, provider: TerraformProvider | None) -> KmsKey:
        name_prefix, partition = self._prefix, self._partition
        key = rotating_key(
            self,
            f"{at}key",
            provider=provider,
            description=f"{name_prefix}: the alarm topic (CloudWatch and EventBridge publish to it)",
            account=self._account,
            partition=partition,
            statements=(
                {
                    "Sid": "AlarmPublishersEncrypt",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": self._account}},
                },
            ),
        )
        KmsAlias(
            self,
            f"{at}alias",
            name=f"alias/{name_prefix}-alarms{suffix}",
            target_key_id=key.key_id,
            provider=provider,
        )
        return key

    def _alarm(self, name: str, description: str, topic: SnsTopic | None = None, **kwargs) -> CloudwatchMetricAlarm:
        """A threshold alarm over ``evaluation_minutes`` one-minute periods to ``topic`` (default: the region's).
        Missing data is not breaching unless ``treat_missing_data`` says otherwise; a metric-math alarm
        (``metric_query``) sets the period in each of its metrics (:func:`_metric_query`)."""
        minutes = self._settings.evaluation_minutes
        topic = topic or self.topic
        kwargs.setdefault("comparison_operator", "GreaterThanOrEqualToThreshold")
        kwargs.setdefault("treat_missing_data", "notBreaching")
        if "metric_query" not in kwargs:
            kwargs["period"] = PERIOD_SECONDS
        alarm = CloudwatchMetricAlarm(
            self,
            name,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            alarm_actions=[self._topic_arns[topic]],
            ok_actions=[self._topic_arns[topic]],
            **kwargs,
        )
        self.alarms[name] = alarm
        return alarm

    def _service_alarms(self) -> None:
        t, s = self._targets, self._settings
        self._alarm(
            "unhealthy-targets",
            f"{s.unhealthy_targets}+ API targets unhealthy on the load balancer (liveness check) for {s.evaluation_minutes} min",
            namespace="AWS/NetworkELB",
            metric_name="UnHealthyHostCount",
            dimensions={"LoadBalancer": t.load_balancer_arn_suffix, "TargetGroup": t.target_group_arn_suffix},
            statistic="Maximum",
            threshold=s.unhealthy_targets,
        )
        dims = {"ClusterName": t.ecs_cluster_name, "ServiceName": t.ecs_service_name}
        self._alarm(
            "tasks-below-desired",
            f"fewer API tasks running than desired for {s.evaluation_minutes} min",
            threshold=1,
            treat_missing_data="breaching",
            metric_query=[
                _metric_query("desired", "ECS/ContainerInsights", "DesiredTaskCount", dims, "Maximum"),
                _metric_query("running", "ECS/ContainerInsights", "RunningTaskCount", dims, "Minimum"),
                _expression("missing", "desired - running", "tasks missing"),
            ],
        )

    def _api_alarms(self) -> None:
        t, s = self._targets, self._settings
        filters = {
            "requests": f"[{ACCESS_LOG_FIELDS}, ...]",
            "responses-5xx": f"[{ACCESS_LOG_FIELDS.replace('status', 'status=5*')}, ...]",
        }
        for name, pattern in filters.items():
            CloudwatchLogMetricFilter(
                self,
                f"filter-{name}",
                name=f"{self._prefix}-api-{name}",
                log_group_name=t.api_log_group_name,
                pattern=pattern,
                metric_transformation={"name": f"{self._prefix}-{name}", "namespace": METRIC_NAMESPACE, "value": "1", "default_value": "0"},
            )
        CloudwatchLogMetricFilter(
            self,
            "filter-latency",
            name=f"{self._prefix}-api-latency",
            log_group_name=t.api_log_group_name,
            pattern=f"[{ACCESS_LOG_FIELDS}, duration_ms]",
            metric_transformation={
                "name": f"{self._prefix}-latency-ms",
                "namespace": METRIC_NAMESPACE,
                "value": "$duration_ms",
                "unit": "Milliseconds",
            },
        )
        self._alarm(
            "api-5xx-rate",
            f"{s.api_5xx_percent}%+ of API responses are 5xx for {s.evaluation_minutes} min",
            threshold=s.api_5xx_percent,
            metric_query=[
                _metric_query("errors", METRIC_NAMESPACE, f"{self._prefix}-responses-5xx", None, "Sum"),
                _metric_query("requests", METRIC_NAMESPACE, f"{self._prefix}-requests", None, "Sum"),
                _expression("rate", "IF(requests > 0, 100 * errors / requests, 0)", "5xx %"),
            ],
        )
        self._alarm(
            "api-latency-p99",
            f"API p99 response time at or above {s.api_latency_p99_ms} ms for {s.evaluation_minutes} min",
            namespace=METRIC_NAMESPACE,
            metric_name=f"{self._prefix}-latency-ms",
            extended_statistic="p99",
            threshold=s.api_latency_p99_ms,
        )

    def _cdn_alarm(self, provider: TerraformProvider) -> None:
        s = self._settings
        self._alarm(
            "cdn-5xx-rate",
            f"{s.cdn_5xx_percent}%+ of CloudFront responses are 5xx for {s.evaluation_minutes} min (API origin down or failing)",
            topic=self.edge_topic,
            provider=provider,
            namespace="AWS/CloudFront",
            metric_name="5xxErrorRate",
            dimensions={"DistributionId": self._targets.distribution_id, "Region": "Global"},
            statistic="Average",
            threshold=s.cdn_5xx_percent,
        )

    def _database_alarms(self) -> None:
        s = self._settings
        dims = {"DBClusterIdentifier": self._targets.db_cluster_identifier}
        capacity = round(self._targets.db_max_capacity_acu * s.aurora_capacity_percent / 100, 2)
        for name, metric, statistic, threshold, what in (
            (
                "aurora-capacity-at-max",
                "ServerlessDatabaseCapacity",
                "Maximum",
                capacity,
                " ACUs (the maximum is [database] max_capacity_acu)",
            ),
            ("aurora-cpu", "CPUUtilization", "Average", s.aurora_cpu_percent, "% CPU"),
            ("aurora-connections", "DatabaseConnections", "Maximum", s.aurora_connections, " connections"),
        ):
            self._alarm(
                name,
                f"Aurora at or above {threshold}{what} for {s.evaluation_minutes} min",
                namespace="AWS/RDS",
                metric_name=metric,
                dimensions=dims,
                statistic=statistic,
                threshold=threshold,
            )

    def _deployment_rule(self) -> CloudwatchEventRule:
        rule = CloudwatchEventRule(
            self,
            "deployment-failed",
            name=f"{self._prefix}-ecs-deployment-failed",
            description="An API deployment failed (the circuit breaker rolled it back or it could not start)",
            event_pattern=Fn.jsonencode(
                {
                    "source": ["aws.ecs"],
                    "detail-type": ["ECS Deployment State Change"],
                    "resources": [self._targets.ecs_service_arn],
                    "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
                }
            ),
        )
        CloudwatchEventTarget(self, "deployment-failed-target", rule=rule.name, arn=self._topic_arns[self.topic], target_id="alarm-topic")
        return rule


def _metric_query(id_: str, namespace: str, metric: str, dimensions: dict | None, stat: str) -> CloudwatchMetricAlarmMetricQuery:
    """One metric of a metric-math alarm (not returned: the expression is)."""
    return CloudwatchMetricAlarmMetricQuery(
        id=id_,
        return_data=False,
        metric=CloudwatchMetricAlarmMetricQueryMetric(
            namespace=namespace, metric_name=metric, period=PERIOD_SECONDS, stat=stat, dimensions=dimensions
        ),
    )


def _expression(id_: str, expression: str, label: str) -> CloudwatchMetricAlarmMetricQuery:
    """The expression a metric-math alarm compares with its threshold."""
    return CloudwatchMetricAlarmMetricQuery(id=id_, expression=expression, label=label, return_data=True)
