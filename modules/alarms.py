"""Operations alarms: one encrypted SNS topic per environment and what goes to it."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import CloudwatchLogMetricFilter
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from environment.config import AlarmSettings
from modules.iam import key_admin_through_iam, policy_document

#: gunicorn's access log line (``geoapi.gunicorn_conf``: the default format plus ``%(M)s``, the
#: response time in ms), as CloudWatch Logs space-delimited fields ([...] and "..." are one field).
ACCESS_LOG_FIELDS = "host, ident, user, timestamp, request, status, bytes, referer, agent"
METRIC_NAMESPACE = "GeoApp/API"
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")


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


class OperationsAlarms(Construct):
    """An SNS topic (own KMS key, so CloudWatch and EventBridge may publish) with e-mail
    subscribers, and alarms for the API and the database.

    Alarms: unhealthy NLB targets; running tasks below desired (Container Insights); API 5xx
    share and p99 latency (metric filters on the gunicorn access log); Aurora capacity near its
    maximum (ACUUtilization), CPU and connections. An EventBridge rule sends failed ECS
    deployments (``SERVICE_DEPLOYMENT_FAILED``) to the same topic. Every threshold is a field
    of :class:`environment.config.AlarmSettings` with its default written there.

    Attributes: ``topic``, ``key``, ``alarms`` (name -> alarm), ``deployment_rule``.
    """

    def __init__(self, scope: Construct, id_: str, *, name_prefix: str, settings: AlarmSettings, emails: list[str], targets: AlarmTargets):
        super().__init__(scope, id_)
        self._prefix, self._settings, self._targets = name_prefix, settings, targets
        self.key = self._key(name_prefix)
        self.topic = SnsTopic(self, "topic", name=f"{name_prefix}-alarms", kms_master_key_id=self.key.arn)
        SnsTopicPolicy(
            self,
            "topic-policy",
            arn=self.topic.arn,
            policy=policy_document(
                {
                    "Sid": "AlarmsAndEventsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": "sns:Publish",
                    "Resource": self.topic.arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": self._account}},
                }
            ),
        )
        for n, email in enumerate(emails):
            SnsTopicSubscription(self, f"email-{n}", topic_arn=self.topic.arn, protocol="email", endpoint=email)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        self._service_alarms()
        self._api_alarms()
        self._database_alarms()
        self.deployment_rule = self._deployment_rule()

    def _key(self, name_prefix: str) -> KmsKey:
        self._account = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        key = KmsKey(
            self,
            "key",
            description=f"{name_prefix}: the alarm topic (CloudWatch and EventBridge publish to it)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy_document(
                key_admin_through_iam(partition, self._account),
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
        KmsAlias(self, "alias", name=f"alias/{name_prefix}-alarms", target_key_id=key.key_id)
        return key

    def _alarm(self, name: str, description: str, **kwargs) -> CloudwatchMetricAlarm:
        minutes = self._settings.evaluation_minutes
        kwargs.setdefault("comparison_operator", "GreaterThanOrEqualToThreshold")
        alarm = CloudwatchMetricAlarm(
            self,
            name,
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
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
            period=60,
            threshold=s.unhealthy_targets,
            treat_missing_data="notBreaching",
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
                {"id": "missing", "expression": "desired - running", "label": "tasks missing", "return_data": True},
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
            treat_missing_data="notBreaching",
            metric_query=[
                _metric_query("errors", METRIC_NAMESPACE, f"{self._prefix}-responses-5xx", None, "Sum"),
                _metric_query("requests", METRIC_NAMESPACE, f"{self._prefix}-requests", None, "Sum"),
                {"id": "rate", "expression": "IF(requests > 0, 100 * errors / requests, 0)", "label": "5xx %", "return_data": True},
            ],
        )
        self._alarm(
            "api-latency-p99",
            f"API p99 response time at or above {s.api_latency_p99_ms} ms for {s.evaluation_minutes} min",
            namespace=METRIC_NAMESPACE,
            metric_name=f"{self._prefix}-latency-ms",
            extended_statistic="p99",
            period=60,
            threshold=s.api_latency_p99_ms,
            treat_missing_data="notBreaching",
        )

    def _database_alarms(self) -> None:
        s = self._settings
        dims = {"DBClusterIdentifier": self._targets.db_cluster_identifier}
        for name, metric, statistic, threshold, what in (
            ("aurora-capacity-at-max", "ACUUtilization", "Maximum", s.aurora_capacity_percent, "% of the maximum ACUs in use"),
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
                period=60,
                threshold=threshold,
                treat_missing_data="notBreaching",
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
        CloudwatchEventTarget(self, "deployment-failed-target", rule=rule.name, arn=self.topic.arn, target_id="alarm-topic")
        return rule


def _metric_query(id_: str, namespace: str, metric: str, dimensions: dict | None, stat: str) -> dict:
    return {
        "id": id_,
        "return_data": False,
        "metric": {
            "namespace": namespace,
            "metric_name": metric,
            "period": 60,
            "stat": stat,
            **({"dimensions": dimensions} if dimensions else {}),
        },
    }
