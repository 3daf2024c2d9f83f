"""Prove the shims with real Terraform: apply a small app-shaped config, re-plan, destroy.

    python -m localaws.probe [--keep DIR]

Starts an emulator on a free loopback port, writes a Terraform JSON config that exercises
every gap the shims close (Application Auto Scaling target + step policies + alarms with
tags, a CloudFront distribution with an origin access control and an ``/api/*`` behaviour,
an Aurora Serverless v2 cluster with a managed master password and a second cluster
restored from its snapshot, an ECS Fargate service behind an NLB), then runs
``terraform init``, ``apply``, ``plan -detailed-exitcode`` (must be 0: no drift) and
``destroy``, printing the wall time of each step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.terraform import terraform_env

from .server import LocalAWS, client_env
from .terraform import provider_settings

TAGS = {"Environment": "probe", "Owner": "platform", "Application": "geoapp"}


def _ref(expr: str) -> str:
    return "${" + expr + "}"


def probe_config(endpoint: str, region: str = "us-east-1") -> dict[str, Any]:
    """Terraform JSON for the probe (no backend: local state in the working dir)."""
    cpu_alarm = {
        "namespace": "AWS/ECS",
        "metric_name": "CPUUtilization",
        "statistic": "Average",
        "period": 60,
        "evaluation_periods": 2,
        "dimensions": {
            "ClusterName": _ref("aws_ecs_cluster.app.name"),
            "ServiceName": _ref("aws_ecs_service.api.name"),
        },
    }
    step_policy = {
        "name": None,
        "policy_type": "StepScaling",
        "resource_id": _ref("aws_appautoscaling_target.api.resource_id"),
        "scalable_dimension": _ref("aws_appautoscaling_target.api.scalable_dimension"),
        "service_namespace": _ref("aws_appautoscaling_target.api.service_namespace"),
        "step_scaling_policy_configuration": [
            {
                "adjustment_type": "ChangeInCapacity",
                "cooldown": 60,
                "metric_aggregation_type": "Average",
                "step_adjustment": [None],
            }
        ],
    }
    scale_up = json.loads(json.dumps(step_policy))
    scale_up["name"] = "probe-cpu-up"
    scale_up["step_scaling_policy_configuration"][0]["step_adjustment"] = [{"metric_interval_lower_bound": 0, "scaling_adjustment": 1}]
    scale_down = json.loads(json.dumps(step_policy))
    scale_down["name"] = "probe-cpu-down"
    scale_down["step_scaling_policy_configuration"][0]["step_adjustment"] = [{"metric_interval_upper_bound": 0, "scaling_adjustment": -1}]
    cluster_common = {
        "engine": "aurora-mysql",
        "engine_mode": "provisioned",
        "engine_version": "8.0.mysql_aurora.3.05.2",
        "database_name": "geo",
        "master_username": "geoadmin",
        "manage_master_user_password": True,
        "storage_encrypted": True,
        "kms_key_id": _ref("aws_kms_key.main.arn"),
        "db_subnet_group_name": _ref("aws_db_subnet_group.db.name"),
        "vpc_security_group_ids": [_ref("aws_security_group.db.id")],
        "backup_retention_period": 7,
        "preferred_backup_window": "03:00-04:00",
        "skip_final_snapshot": True,
        "serverlessv2_scaling_configuration": [{"min_capacity": 0.5, "max_capacity": 4}],
    }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [{**provider_settings(endpoint, region), "default_tags": [{"tags": TAGS}]}]},
        "data": {
            "aws_vpc": {"default": {"default": True}},
            "aws_subnets": {"default": {"filter": [{"name": "vpc-id", "values": [_ref("data.aws_vpc.default.id")]}]}},
            "aws_iam_policy_document": {
                "assume_ecs": {
                    "statement": [
                        {
                            "actions": ["sts:AssumeRole"],
                            "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}],
                        }
                    ]
                }
            },
        },
        "resource": {
            "aws_kms_key": {"main": {"description": "probe", "enable_key_rotation": True, "deletion_window_in_days": 7}},
            "aws_security_group": {
                "task": {"name": "probe-task", "vpc_id": _ref("data.aws_vpc.default.id")},
                "db": {"name": "probe-db", "vpc_id": _ref("data.aws_vpc.default.id")},
            },
            "aws_vpc_security_group_ingress_rule": {
                "db_from_task": {
                    "security_group_id": _ref("aws_security_group.db.id"),
                    "referenced_security_group_id": _ref("aws_security_group.task.id"),
                    "ip_protocol": "tcp",
                    "from_port": 3306,
                    "to_port": 3306,
                }
            },
            "aws_ecr_repository": {"api": {"name": "probe-api", "force_delete": True}},
            "aws_cloudwatch_log_group": {"api": {"name": "/ecs/probe-api", "retention_in_days": 14}},
            "aws_secretsmanager_secret": {
                "auth0": {"name": "probe/auth0", "kms_key_id": _ref("aws_kms_key.main.arn"), "recovery_window_in_days": 0}
            },
            "aws_iam_role": {
                "execution": {
                    "name": "probe-execution",
                    "assume_role_policy": _ref("data.aws_iam_policy_document.assume_ecs.json"),
                }
            },
            "aws_ecs_cluster": {"app": {"name": "probe"}},
            "aws_lb": {
                "api": {
                    "name": "probe-nlb",
                    "load_balancer_type": "network",
                    "internal": False,
                    "subnets": _ref("data.aws_subnets.default.ids"),
                }
            },
            "aws_lb_target_group": {
                "api": {
                    "name": "probe-api",
                    "port": 8000,
                    "protocol": "TCP",
                    "target_type": "ip",
                    "vpc_id": _ref("data.aws_vpc.default.id"),
                    "health_check": [{"protocol": "HTTP", "path": "/api/health/ready", "port": "traffic-port"}],
                }
            },
            "aws_lb_listener": {
                "api": {
                    "load_balancer_arn": _ref("aws_lb.api.arn"),
                    "port": 80,
                    "protocol": "TCP",
                    "default_action": [{"type": "forward", "target_group_arn": _ref("aws_lb_target_group.api.arn")}],
                }
            },
            "aws_ecs_task_definition": {
                "api": {
                    "family": "probe-api",
                    "requires_compatibilities": ["FARGATE"],
                    "network_mode": "awsvpc",
                    "cpu": "512",
                    "memory": "1024",
                    "execution_role_arn": _ref("aws_iam_role.execution.arn"),
                    "container_definitions": _ref(
                        'jsonencode([{name = "api", image = "${aws_ecr_repository.api.'
                        'repository_url}:latest", essential = true, portMappings = '
                        '[{containerPort = 8000, protocol = "tcp"}], secrets = [{name = '
                        '"AUTH0_SECRET", valueFrom = aws_secretsmanager_secret.auth0.arn}]}])'
                    ),
                }
            },
            "aws_ecs_service": {
                "api": {
                    "name": "probe-api",
                    "cluster": _ref("aws_ecs_cluster.app.id"),
                    "task_definition": _ref("aws_ecs_task_definition.api.arn"),
                    "desired_count": 2,
                    "launch_type": "FARGATE",
                    "wait_for_steady_state": True,
                    "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
                    "network_configuration": [
                        {
                            "subnets": _ref("data.aws_subnets.default.ids"),
                            "security_groups": [_ref("aws_security_group.task.id")],
                            "assign_public_ip": False,
                        }
                    ],
                    "load_balancer": [
                        {
                            "target_group_arn": _ref("aws_lb_target_group.api.arn"),
                            "container_name": "api",
                            "container_port": 8000,
                        }
                    ],
                    "lifecycle": [{"ignore_changes": ["desired_count"]}],
                    "depends_on": ["aws_lb_listener.api"],
                }
            },
            "aws_appautoscaling_target": {
                "api": {
                    "service_namespace": "ecs",
                    "resource_id": "service/${aws_ecs_cluster.app.name}/${aws_ecs_service.api.name}",
                    "scalable_dimension": "ecs:service:DesiredCount",
                    "min_capacity": 1,
                    "max_capacity": 4,
                }
            },
            "aws_appautoscaling_policy": {"up": scale_up, "down": scale_down},
            "aws_cloudwatch_metric_alarm": {
                "cpu_high": {
                    **cpu_alarm,
                    "alarm_name": "probe-cpu-high",
                    "comparison_operator": "GreaterThanOrEqualToThreshold",
                    "threshold": 70,
                    "alarm_actions": [_ref("aws_appautoscaling_policy.up.arn")],
                },
                "cpu_low": {
                    **cpu_alarm,
                    "alarm_name": "probe-cpu-low",
                    "comparison_operator": "LessThanOrEqualToThreshold",
                    "threshold": 20,
                    "alarm_actions": [_ref("aws_appautoscaling_policy.down.arn")],
                },
            },
            "aws_s3_bucket": {"assets": {"bucket": "probe-assets", "force_destroy": True}},
            "aws_s3_bucket_public_access_block": {
                "assets": {
                    "bucket": _ref("aws_s3_bucket.assets.id"),
                    "block_public_acls": True,
                    "block_public_policy": True,
                    "ignore_public_acls": True,
                    "restrict_public_buckets": True,
                }
            },
            "aws_cloudfront_origin_access_control": {
                "assets": {
                    "name": "probe-assets",
                    "origin_access_control_origin_type": "s3",
                    "signing_behavior": "always",
                    "signing_protocol": "sigv4",
                }
            },
            "aws_cloudfront_distribution": {
                "site": {
                    "enabled": True,
                    "comment": "probe",
                    "default_root_object": "index.html",
                    "price_class": "PriceClass_100",
                    "origin": [
                        {
                            "origin_id": "assets",
                            "domain_name": _ref("aws_s3_bucket.assets.bucket_regional_domain_name"),
                            "origin_path": "/site/current",
                            "origin_access_control_id": _ref("aws_cloudfront_origin_access_control.assets.id"),
                        },
                        {
                            "origin_id": "api",
                            "domain_name": _ref("aws_lb.api.dns_name"),
                            "custom_origin_config": [
                                {
                                    "http_port": 80,
                                    "https_port": 443,
                                    "origin_protocol_policy": "http-only",
                                    "origin_ssl_protocols": ["TLSv1.2"],
                                }
                            ],
                        },
                    ],
                    "default_cache_behavior": [
                        {
                            "target_origin_id": "assets",
                            "viewer_protocol_policy": "redirect-to-https",
                            "allowed_methods": ["GET", "HEAD"],
                            "cached_methods": ["GET", "HEAD"],
                            "compress": True,
                            # AWS managed policy "CachingOptimized"
                            "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                        }
                    ],
                    "ordered_cache_behavior": [
                        {
                            "path_pattern": "/api/*",
                            "target_origin_id": "api",
                            "viewer_protocol_policy": "https-only",
                            "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                            "cached_methods": ["GET", "HEAD"],
                            # AWS managed "CachingDisabled" and "AllViewerExceptHostHeader"
                            "cache_policy_id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                            "origin_request_policy_id": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
                        }
                    ],
                    "restrictions": [{"geo_restriction": [{"restriction_type": "none"}]}],
                    "viewer_certificate": [{"cloudfront_default_certificate": True}],
                }
            },
            "aws_db_subnet_group": {"db": {"name": "probe-db", "subnet_ids": _ref("data.aws_subnets.default.ids")}},
            "aws_rds_cluster": {
                "db": {**cluster_common, "cluster_identifier": "probe-db"},
                "restored": {
                    **cluster_common,
                    "cluster_identifier": "probe-db-restored",
                    "snapshot_identifier": _ref("aws_db_cluster_snapshot.db.db_cluster_snapshot_identifier"),
                },
            },
            "aws_rds_cluster_instance": {
                "db": {
                    "identifier": "probe-db-1",
                    "cluster_identifier": _ref("aws_rds_cluster.db.id"),
                    "instance_class": "db.serverless",
                    "engine": _ref("aws_rds_cluster.db.engine"),
                    "engine_version": _ref("aws_rds_cluster.db.engine_version"),
                },
            },
            "aws_db_cluster_snapshot": {
                "db": {"db_cluster_identifier": _ref("aws_rds_cluster.db.id"), "db_cluster_snapshot_identifier": "probe-db-snap"}
            },
        },
        "output": {
            "site_url": {"value": "https://${aws_cloudfront_distribution.site.domain_name}"},
            "db_secret_arn": {"value": _ref("aws_rds_cluster.db.master_user_secret[0].secret_arn")},
            "restored_secret_arn": {"value": _ref("aws_rds_cluster.restored.master_user_secret[0].secret_arn")},
            "scalable_target_arn": {"value": _ref("aws_appautoscaling_target.api.arn")},
        },
    }


@dataclass
class StepResult:
    name: str
    returncode: int
    seconds: float
    output: str = field(repr=False)


def run_terraform(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> StepResult:
    started = time.monotonic()
    proc = subprocess.run(
        ["terraform", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return StepResult(" ".join(args[:1]), proc.returncode, time.monotonic() - started, proc.stdout + proc.stderr)


def terraform_env_for(endpoint: str) -> dict[str, str]:
    """terraform / cdktf environment for the emulator: mirror, quiet vars, dummy creds."""
    return client_env(endpoint, terraform_env())


def run_probe(workdir: Path, endpoint: str, *, timeout: float = 300.0) -> list[StepResult]:
    """init, apply, plan -detailed-exitcode, destroy in ``workdir``; stop at the first failure."""
    (workdir / "main.tf.json").write_text(json.dumps(probe_config(endpoint), indent=1))
    env = terraform_env_for(endpoint)
    common = ["-input=false", "-no-color"]
    steps = [
        ["init", *common],
        ["apply", "-auto-approve", *common],
        ["plan", "-detailed-exitcode", *common],
        ["destroy", "-auto-approve", *common],
    ]
    results: list[StepResult] = []
    for args in steps:
        result = run_terraform(args, workdir, env, timeout)
        results.append(result)
        if result.returncode != 0:
            break
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localaws.probe", description=__doc__)
    parser.add_argument("--keep", type=Path, help="working dir to keep (default: a temp dir)")
    args = parser.parse_args(argv)
    with LocalAWS(port=0, quiet=True) as aws, tempfile.TemporaryDirectory(prefix="localaws-probe-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = run_probe(workdir, aws.endpoint)
    for result in results:
        print(f"{result.name:8s} exit {result.returncode}  {result.seconds:6.1f} s")
    failed = [r for r in results if r.returncode != 0]
    if failed:
        print(failed[0].output[-6000:], file=sys.stderr)
        return 1
    return 0 if len(results) == 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
