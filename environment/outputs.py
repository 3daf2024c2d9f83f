"""The outputs contract: what every environment stack exports, defined once.

``stacks/env.py`` exports exactly these (it fails at synth otherwise); ``make local``, the
publish, data-load, release and load-test commands and the runbooks read them by these names
(``python -m ops.stack_outputs ENV NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    shown_by_make_local: bool = False


ENV_STACK_OUTPUTS: tuple[Output, ...] = (
    Output("site_url", "the site's URL (CloudFront, or the site CNAME)", True),
    Output("cloudfront_distribution_id", "the distribution to invalidate after a publish", True),
    Output("assets_bucket", "the S3 bucket the SPA is published to", True),
    Output("assets_prefix", "the key prefix of the published SPA, no leading slash (e.g. site/current)", True),
    Output("ecr_repository_url", "where CI pushes the backend image", True),
    Output("ecs_cluster_name", "the ECS cluster of the API service and one-off tasks", True),
    Output("ecs_service_name", "the API's ECS service", True),
    Output("task_definition_family", "the API service's task definition family"),
    Output(
        "db_admin_task_definition_family",
        "the one-off admin task (python -m geoapi users ensure|rotate): the only reader of the master secret",
    ),
    Output("db_loader_task_definition_family", "the one-off loader task (python -m geoapi migrate / seed), as the loader user"),
    Output("task_subnet_ids", "subnets for one-off Fargate tasks (list)"),
    Output("task_security_group_id", "security group for one-off Fargate tasks"),
    Output(
        "api_origin",
        "the name CloudFront sends the API (Host, TLS SNI) through its VPC origin: the origin TLS domain or the internal load balancer DNS",
        True,
    ),
    Output("api_load_balancer_dns", "the load balancer's DNS name"),
    Output("db_endpoint", "the Aurora cluster's writer endpoint", True),
    Output("db_secret_arn", "the RDS-managed master secret of the Aurora cluster (only the admin task reads it)", True),
    Output("db_app_secret_arn", "the application user's secret (the API's DB_SECRET_ARN; the admin task writes it)"),
    Output("db_loader_secret_arn", "the loader user's secret (migrate and seed; the admin task writes it)"),
    Output("auth0_secret_arn", "the Secrets Manager secret of the Auth0 settings", True),
    Output("kms_key_arn", "the environment's KMS key"),
    Output(
        "dns_records",
        "the DNS records the environment needs, as [{name, type, value}]: the site and API origin names, and the "
        "ACM validation records of certificates the stack issues; created in [dns] hosted_zone_id, else to create by hand",
    ),
)

OUTPUT_NAMES: tuple[str, ...] = tuple(o.name for o in ENV_STACK_OUTPUTS)
"""Every output name, in contract order."""

SHOWN_OUTPUTS: tuple[str, ...] = tuple(o.name for o in ENV_STACK_OUTPUTS if o.shown_by_make_local)
"""What ``make local`` prints (all of them are written to its outputs file)."""


def check_exports(names: set[str] | list[str]) -> None:
    """Raise ValueError unless ``names`` is exactly the contract (a stack calls this at synth)."""
    missing, extra = set(OUTPUT_NAMES) - set(names), set(names) - set(OUTPUT_NAMES)
    if missing or extra:
        raise ValueError(
            f"env stack outputs break the contract in environment/outputs.py: missing {sorted(missing)}, not in it {sorted(extra)}"
        )
