"""Read back what was deployed, from the emulator, with boto3: the data plane's only input.

Nothing here reads the env file: a change to a stack shows up locally after the deploy.
The stack outputs (``environment/outputs.py``) only say *which* cluster, service and
distribution to read. The result (:class:`DataPlaneSpec`) is plain JSON, written to
``<state>/dataplane/spec.json`` for the supervisor.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DatabaseSpec:
    endpoint: str
    port: int
    database: str
    master_username: str
    master_password: str
    secret_arn: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    command: list[str] | None
    environment: dict[str, str]
    secrets: dict[str, str]  # env var -> secret ARN (ECS ``secrets``; resolved at task start)
    container_port: int


@dataclass(frozen=True)
class ServiceSpec:
    cluster: str
    service: str
    desired_count: int
    task_definition_arn: str
    cpu: int
    container: ContainerSpec
    # ECS ignores the load balancer's verdict on a task for this long after it starts
    health_check_grace_seconds: int = 0


@dataclass(frozen=True)
class HealthCheckSpec:
    protocol: str
    path: str
    port: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str


@dataclass(frozen=True)
class TargetGroupSpec:
    arn: str
    protocol: str
    port: int
    health_check: HealthCheckSpec
    load_balancer_arns: list[str] = field(default_factory=list)
    """The load balancers whose listeners forward to this group: the local balancer stands in for them."""


@dataclass(frozen=True)
class ResponseHeaderSpec:
    """A header a response headers policy adds: with ``override`` it replaces the origin's."""

    name: str
    value: str
    override: bool


@dataclass(frozen=True)
class BehaviourSpec:
    path_pattern: str  # "*" for the default behaviour
    origin_id: str
    allowed_methods: list[str]
    cache_policy_id: str | None
    origin_request_policy_id: str | None
    response_headers_policy_id: str | None
    response_headers: list[ResponseHeaderSpec] = field(default_factory=list)
    """The headers of the behaviour's response headers policy (security headers, CSP, custom ones)."""


@dataclass(frozen=True)
class OriginSpec:
    id: str
    domain: str
    path: str
    s3: bool
    vpc_origin_id: str | None = None
    """The CloudFront VPC origin this origin reaches its target through (``VpcOriginConfig``), if any."""
    load_balancer_arn: str | None = None
    """The load balancer that VPC origin names (its ``VpcOriginEndpointConfig.Arn``)."""


@dataclass(frozen=True)
class ErrorResponseSpec:
    error_code: int
    response_code: int | None
    response_page_path: str | None


@dataclass(frozen=True)
class DistributionSpec:
    id: str
    domain: str
    default_root_object: str
    origins: list[OriginSpec]
    behaviours: list[BehaviourSpec]  # ordered behaviours first, the default last
    error_responses: list[ErrorResponseSpec]
    response_headers: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy id -> ResponseHeadersPolicyConfig


@dataclass(frozen=True)
class DataPlaneSpec:
    endpoint: str
    region: str
    database: DatabaseSpec
    service: ServiceSpec
    target_group: TargetGroupSpec
    distribution: DistributionSpec
    assets_bucket: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DataPlaneSpec:
        raw = json.loads(text)
        d = raw["distribution"]
        s = raw["service"]
        tg = raw["target_group"]
        return cls(
            endpoint=raw["endpoint"],
            region=raw["region"],
            database=DatabaseSpec(**raw["database"]),
            service=ServiceSpec(**{**s, "container": ContainerSpec(**s["container"])}),
            target_group=TargetGroupSpec(**{**tg, "health_check": HealthCheckSpec(**tg["health_check"])}),
            distribution=DistributionSpec(
                **{
                    **d,
                    "origins": [OriginSpec(**o) for o in d["origins"]],
                    "behaviours": [
                        BehaviourSpec(**{**b, "response_headers": [ResponseHeaderSpec(**h) for h in b.get("response_headers", [])]})
                        for b in d["behaviours"]
                    ],
                    "error_responses": [ErrorResponseSpec(**e) for e in d["error_responses"]],
                }
            ),
            assets_bucket=raw["assets_bucket"],
        )


# ---------------------------------------------------------------------------- reading


def read_database(client, db_endpoint: str) -> DatabaseSpec:
    rds, sm = client("rds"), client("secretsmanager")
    host = db_endpoint.split(":")[0]
    cluster = next((c for c in rds.describe_db_clusters()["DBClusters"] if c.get("Endpoint") == host), None)
    if cluster is None:
        raise LookupError(f"no Aurora cluster with endpoint {host} on the emulator")
    secret_arn = (cluster.get("MasterUserSecret") or {}).get("SecretArn")
    if not secret_arn:
        raise LookupError(f"cluster {cluster['DBClusterIdentifier']} has no RDS-managed master secret")
    secret = json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"])
    parameters: dict[str, str] = {}
    group = cluster.get("DBClusterParameterGroup")
    if group:
        paginator = rds.get_paginator("describe_db_cluster_parameters")
        for page in paginator.paginate(DBClusterParameterGroupName=group, Source="user"):
            for p in page["Parameters"]:
                if "ParameterValue" in p:
                    parameters[p["ParameterName"]] = str(p["ParameterValue"])
    return DatabaseSpec(
        endpoint=host,
        port=int(cluster.get("Port") or 3306),
        database=cluster.get("DatabaseName") or "",
        master_username=cluster["MasterUsername"],
        master_password=str(secret["password"]),
        secret_arn=secret_arn,
        parameters=parameters,
    )


def _env_list(items: list[dict[str, str]] | None, key: str) -> dict[str, str]:
    return {i["name"]: i[key] for i in items or []}


def read_service(client, cluster: str, service: str) -> ServiceSpec:
    ecs = client("ecs")
    found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not found:
        raise LookupError(f"no ECS service {service} in cluster {cluster} on the emulator")
    svc = found[0]
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    containers = td["containerDefinitions"]
    c = next((c for c in containers if c.get("essential", True)), containers[0])
    port = int((c.get("portMappings") or [{"containerPort": 8000}])[0]["containerPort"])
    return ServiceSpec(
        cluster=cluster,
        service=service,
        desired_count=int(svc["desiredCount"]),
        task_definition_arn=td["taskDefinitionArn"],
        cpu=int(td.get("cpu") or c.get("cpu") or 1024),
        container=ContainerSpec(
            name=c["name"],
            command=c.get("command"),
            environment=_env_list(c.get("environment"), "value"),
            secrets=_env_list(c.get("secrets"), "valueFrom"),
            container_port=port,
        ),
        health_check_grace_seconds=int(svc.get("healthCheckGracePeriodSeconds") or 0),
    )


def read_target_group(client, cluster: str, service: str) -> TargetGroupSpec:
    ecs, elb = client("ecs"), client("elbv2")
    svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    arns = [lb["targetGroupArn"] for lb in svc.get("loadBalancers", []) if lb.get("targetGroupArn")]
    if not arns:
        raise LookupError(f"ECS service {service} has no target group")
    tg = elb.describe_target_groups(TargetGroupArns=arns[:1])["TargetGroups"][0]
    return TargetGroupSpec(
        arn=tg["TargetGroupArn"],
        protocol=tg.get("Protocol", "TCP"),
        port=int(tg.get("Port") or 0),
        load_balancer_arns=list(tg.get("LoadBalancerArns") or []),
        health_check=HealthCheckSpec(
            protocol=tg.get("HealthCheckProtocol", "TCP"),
            path=tg.get("HealthCheckPath") or "/",
            port=str(tg.get("HealthCheckPort") or "traffic-port"),
            interval=int(tg.get("HealthCheckIntervalSeconds") or 30),
            timeout=int(tg.get("HealthCheckTimeoutSeconds") or 10),
            healthy_threshold=int(tg.get("HealthyThresholdCount") or 3),
            unhealthy_threshold=int(tg.get("UnhealthyThresholdCount") or 3),
            matcher=(tg.get("Matcher") or {}).get("HttpCode", "200-399"),
        ),
    )


def policy_headers(config: dict[str, Any]) -> list[ResponseHeaderSpec]:
    """The headers a ``ResponseHeadersPolicyConfig`` adds, as CloudFront sends them.

    Security headers (CSP, HSTS, nosniff, frame options, referrer policy, XSS protection) and
    custom headers. CORS, server-timing and removed headers are not modelled (the stacks set none).
    """
    out: list[ResponseHeaderSpec] = []
    sec = config.get("SecurityHeadersConfig") or {}

    def add(name: str, value: str, block: dict[str, Any]) -> None:
        out.append(ResponseHeaderSpec(name, value, bool(block.get("Override"))))

    if (csp := sec.get("ContentSecurityPolicy")) is not None:
        add("Content-Security-Policy", csp["ContentSecurityPolicy"], csp)
    if (hsts := sec.get("StrictTransportSecurity")) is not None:
        flags = ["includeSubDomains"] * bool(hsts.get("IncludeSubdomains")) + ["preload"] * bool(hsts.get("Preload"))
        add("Strict-Transport-Security", "; ".join([f"max-age={hsts['AccessControlMaxAgeSec']}", *flags]), hsts)
    if (nosniff := sec.get("ContentTypeOptions")) is not None:
        add("X-Content-Type-Options", "nosniff", nosniff)
    if (frame := sec.get("FrameOptions")) is not None:
        add("X-Frame-Options", frame["FrameOption"], frame)
    if (referrer := sec.get("ReferrerPolicy")) is not None:
        add("Referrer-Policy", referrer["ReferrerPolicy"], referrer)
    if (xss := sec.get("XSSProtection")) is not None:
        parts = ["1" if xss.get("Protection") else "0"] + ["mode=block"] * bool(xss.get("ModeBlock"))
        add("X-XSS-Protection", "; ".join(parts + ([f"report={xss['ReportUri']}"] if xss.get("ReportUri") else [])), xss)
    for item in (config.get("CustomHeadersConfig") or {}).get("Items") or []:
        add(item["Header"], item["Value"], item)
    return out


def _behaviour(raw: dict[str, Any], pattern: str, policies: dict[str, dict[str, Any]]) -> BehaviourSpec:
    policy_id = raw.get("ResponseHeadersPolicyId") or None
    return BehaviourSpec(
        path_pattern=pattern,
        origin_id=raw["TargetOriginId"],
        allowed_methods=list((raw.get("AllowedMethods") or {}).get("Items") or ["GET", "HEAD"]),
        cache_policy_id=raw.get("CachePolicyId") or None,
        origin_request_policy_id=raw.get("OriginRequestPolicyId") or None,
        response_headers_policy_id=policy_id,
        response_headers=policy_headers(policies[policy_id]) if policy_id else [],
    )


def _response_headers(cloudfront, ids: set[str]) -> dict[str, dict[str, Any]]:
    """``{policy id: ResponseHeadersPolicyConfig}``; an id the emulator does not know is an error."""
    policies: dict[str, dict[str, Any]] = {}
    for policy_id in sorted(ids):
        try:
            policy = cloudfront.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"]
        except cloudfront.exceptions.NoSuchResponseHeadersPolicy:
            raise LookupError(f"the distribution names response headers policy {policy_id}, which the emulator does not have") from None
        policies[policy_id] = policy["ResponseHeadersPolicyConfig"]
    return policies


def _vpc_origin_target(cloudfront, origin: dict[str, Any]) -> str | None:
    """The load balancer ARN of the origin's VPC origin; None for an origin without one."""
    vpc_origin_id = (origin.get("VpcOriginConfig") or {}).get("VpcOriginId")
    if not vpc_origin_id:
        return None
    try:
        vpc_origin = cloudfront.get_vpc_origin(Id=vpc_origin_id)["VpcOrigin"]
    except cloudfront.exceptions.EntityNotFound:
        raise LookupError(f"origin {origin['Id']} names VPC origin {vpc_origin_id}, which the emulator does not have") from None
    return vpc_origin["VpcOriginEndpointConfig"]["Arn"]


def read_distribution(client, distribution_id: str) -> DistributionSpec:
    cloudfront = client("cloudfront")
    dist = cloudfront.get_distribution(Id=distribution_id)["Distribution"]
    config = dist["DistributionConfig"]
    origins = [
        OriginSpec(
            id=o["Id"],
            domain=o["DomainName"],
            path=o.get("OriginPath") or "",
            s3="S3OriginConfig" in o or ".s3." in o["DomainName"] or o["DomainName"].endswith(".s3.amazonaws.com"),
            vpc_origin_id=(o.get("VpcOriginConfig") or {}).get("VpcOriginId") or None,
            load_balancer_arn=_vpc_origin_target(cloudfront, o),
        )
        for o in config["Origins"]["Items"]
    ]
    raw_behaviours = [(b, b["PathPattern"]) for b in (config.get("CacheBehaviors") or {}).get("Items") or []]
    raw_behaviours.append((config["DefaultCacheBehavior"], "*"))
    policies = _response_headers(cloudfront, {b["ResponseHeadersPolicyId"] for b, _ in raw_behaviours if b.get("ResponseHeadersPolicyId")})
    behaviours = [_behaviour(b, pattern, policies) for b, pattern in raw_behaviours]
    errors = [
        ErrorResponseSpec(
            error_code=int(e["ErrorCode"]),
            response_code=int(e["ResponseCode"]) if e.get("ResponseCode") else None,
            response_page_path=e.get("ResponsePagePath") or None,
        )
        for e in (config.get("CustomErrorResponses") or {}).get("Items") or []
    ]
    return DistributionSpec(
        id=distribution_id,
        domain=dist["DomainName"],
        default_root_object=config.get("DefaultRootObject") or "",
        origins=origins,
        behaviours=behaviours,
        error_responses=errors,
        response_headers=policies,
    )


def read_spec(client, endpoint: str, region: str, outputs: dict[str, Any]) -> DataPlaneSpec:
    """Everything the data plane runs, read from the emulator at ``endpoint``."""
    cluster, service = outputs["ecs_cluster_name"], outputs["ecs_service_name"]
    return DataPlaneSpec(
        endpoint=endpoint,
        region=region,
        database=read_database(client, outputs["db_endpoint"]),
        service=read_service(client, cluster, service),
        target_group=read_target_group(client, cluster, service),
        distribution=read_distribution(client, outputs["cloudfront_distribution_id"]),
        assets_bucket=outputs["assets_bucket"],
    )
