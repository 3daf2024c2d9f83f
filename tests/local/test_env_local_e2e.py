"""End to end: env-local on a fresh emulator, through the same bootstrap -> env flow as AWS.

All tests share the session's one deployment (fixture ``env_local`` in tests/conftest.py).
The checks that change it (restore drill with the state lock, destroy) carry
``mutates_env_local(order=...)``: they run after every read-only test of the session, the
destroy last. Wall times are printed at the end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

import localaws
from environment.outputs import OUTPUT_NAMES
from localaws.dataplane import plane
from ops import local
from tests.local.helpers import (
    EnvLocal,
    alongside_the_read_only_tests,
    resource_addresses,
    state_of,
    tags_of,
    terraform,
    write_env_copy,
)

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
    pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js (npx) is not installed"),
]

REQUIRED_TAGS = ("Environment", "Owner", "Application")


def test_outputs_follow_the_contract(env_local: EnvLocal):
    # the one list in environment/outputs.py, exactly: what make local, publish, data-load and the runbooks read
    assert set(env_local.outputs) == set(OUTPUT_NAMES)
    assert env_local.outputs["task_subnet_ids"] == list(env_local.config.network.private_subnet_ids)


def _service(env_local: EnvLocal) -> dict[str, Any]:
    ecs = env_local.client("ecs")
    (service,) = ecs.describe_services(cluster=env_local.outputs["ecs_cluster_name"], services=[env_local.outputs["ecs_service_name"]])[
        "services"
    ]
    return service


def test_ecs_service_is_attached_to_the_nlb_target_group(env_local: EnvLocal):
    elb = env_local.client("elbv2")
    (nlb,) = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["DNSName"] == env_local.outputs["api_origin"]]
    assert nlb["Type"] == "network"
    listener_groups = {
        action["TargetGroupArn"]
        for listener in elb.describe_listeners(LoadBalancerArn=nlb["LoadBalancerArn"])["Listeners"]
        for action in listener["DefaultActions"]
        if action["Type"] == "forward"
    }
    service = _service(env_local)
    attached = {lb["targetGroupArn"] for lb in service["loadBalancers"]}
    assert attached and attached <= listener_groups
    assert {lb["containerPort"] for lb in service["loadBalancers"]} == {8000}
    assert service["launchType"] == "FARGATE"
    assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == env_local.outputs["task_subnet_ids"]


def test_task_definition_references_secret_arns_and_no_values(env_local: EnvLocal):
    ecs, sm = env_local.client("ecs"), env_local.client("secretsmanager")
    task = ecs.describe_task_definition(taskDefinition=_service(env_local)["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    environment = {item["name"]: item["value"] for item in container.get("environment", [])}
    assert environment["DB_SECRET_ARN"] == env_local.outputs["db_app_secret_arn"]  # the app user's, never the master's
    assert environment["AUTH0_SECRET_ARN"] == env_local.outputs["auth0_secret_arn"]
    rendered = json.dumps(task)
    db_secret = json.loads(sm.get_secret_value(SecretId=env_local.outputs["db_app_secret_arn"])["SecretString"])
    assert env_local.outputs["db_secret_arn"] not in rendered
    assert db_secret["password"] and db_secret["password"] not in rendered
    for name in ("DB_PASSWORD", "PASSWORD", "CLIENT_SECRET", "AUTH0_CLIENT_SECRET"):
        assert name not in environment


def test_aurora_settings_match_the_env_file(env_local: EnvLocal):
    rds = env_local.client("rds")
    endpoint = env_local.outputs["db_endpoint"]
    (cluster,) = [c for c in rds.describe_db_clusters()["DBClusters"] if c["Endpoint"] == endpoint]
    db = env_local.config.database
    assert cluster["Engine"] == "aurora-mysql"
    assert cluster["EngineVersion"] == db.engine_version
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": db.min_capacity_acu, "MaxCapacity": float(db.max_capacity_acu)}
    assert cluster["MasterUsername"] == db.username
    assert cluster["DatabaseName"] == db.name
    assert cluster["MasterUserSecret"]["SecretArn"] == env_local.outputs["db_secret_arn"]
    assert cluster["StorageEncrypted"] is True
    assert cluster["BackupRetentionPeriod"] == db.backup_retention_days
    members = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster["DBClusterIdentifier"]]}])["DBInstances"]
    assert len(members) == db.instances
    assert {m["DBInstanceClass"] for m in members} == {"db.serverless"}
    subnets = {s["SubnetIdentifier"] for s in cluster_subnets(rds, cluster)}
    assert subnets == set(env_local.config.network.private_subnet_ids)


def cluster_subnets(rds, cluster) -> list[dict[str, Any]]:
    (group,) = rds.describe_db_subnet_groups(DBSubnetGroupName=cluster["DBSubnetGroup"])["DBSubnetGroups"]
    return group["Subnets"]


def test_cloudfront_routes_api_paths_to_the_internal_nlb_through_its_vpc_origin(env_local: EnvLocal):
    cf = env_local.client("cloudfront")
    config = cf.get_distribution(Id=env_local.outputs["cloudfront_distribution_id"])["Distribution"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"].get("Items", [])}
    assert "/api/*" in behaviours
    api_origin = origins[behaviours["/api/*"]["TargetOriginId"]]
    assert api_origin["DomainName"] == env_local.outputs["api_origin"]
    assert "CustomOriginConfig" not in api_origin, "the API is reached through its VPC origin only"
    vpc_origin = cf.get_vpc_origin(Id=api_origin["VpcOriginConfig"]["VpcOriginId"])["VpcOrigin"]
    (nlb,) = env_local.client("elbv2").describe_load_balancers(LoadBalancerArns=[vpc_origin["VpcOriginEndpointConfig"]["Arn"]])[
        "LoadBalancers"
    ]
    assert (nlb["DNSName"], nlb["Scheme"]) == (env_local.outputs["api_load_balancer_dns"], "internal")
    site_origin = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert site_origin["DomainName"].startswith(env_local.outputs["assets_bucket"] + ".")
    assert site_origin["OriginAccessControlId"], "the site origin must use an origin access control"
    assert site_origin["OriginPath"] == "/" + env_local.outputs["assets_prefix"]


def test_autoscaling_policies_and_alarms_carry_both_thresholds(env_local: EnvLocal):
    aas, cw = env_local.client("application-autoscaling"), env_local.client("cloudwatch")
    resource_id = f"service/{env_local.outputs['ecs_cluster_name']}/{env_local.outputs['ecs_service_name']}"
    (target,) = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])["ScalableTargets"]
    api = env_local.config.api
    assert (target["MinCapacity"], target["MaxCapacity"]) == (api.min_tasks, api.max_tasks)
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)["ScalingPolicies"]
    policy_arns = {p["PolicyARN"] for p in policies}
    assert len(policies) == 2
    alarms = [a for a in cw.describe_alarms()["MetricAlarms"] if set(a["AlarmActions"]) & policy_arns]
    by_threshold = {a["Threshold"]: a for a in alarms}
    assert set(by_threshold) == {float(api.scale_up_cpu_percent), float(api.scale_down_cpu_percent)}
    for alarm in alarms:
        assert alarm["MetricName"] == "CPUUtilization" and alarm["Namespace"] == "AWS/ECS"
    high, low = by_threshold[float(api.scale_up_cpu_percent)], by_threshold[float(api.scale_down_cpu_percent)]
    assert high["ComparisonOperator"].startswith("GreaterThan") and low["ComparisonOperator"].startswith("LessThan")
    assert set(high["AlarmActions"]) != set(low["AlarmActions"]), "scale-out and scale-in must be different policies"


def test_the_operations_alarms_are_deployed_and_notify_the_encrypted_topic(env_local: EnvLocal):
    """[alarms] is on for env-local (SNS and EventBridge routed to the emulator): topics, alarms, the deployment rule."""
    sns, cw, events = env_local.client("sns"), env_local.client("cloudwatch"), env_local.client("events")
    prefix = f"geo-data-app-{env_local.config.name}"
    topics = {t["TopicArn"].rsplit(":", 1)[-1]: t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert {f"{prefix}-alarms", f"{prefix}-alarms-edge"} <= set(topics)
    topic = topics[f"{prefix}-alarms"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId", "").startswith("arn:aws:kms:")
    emails = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert emails == set(env_local.config.alarm_emails)
    ours = [a for a in cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"] if topic in a["AlarmActions"]]
    assert len(ours) >= 7, [a["AlarmName"] for a in ours]
    (rule,) = [r for r in events.list_rules(NamePrefix=prefix)["Rules"]]
    assert "SERVICE_DEPLOYMENT_FAILED" in rule["EventPattern"]
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]] == [topic]


def test_every_resource_carries_the_three_tags(env_local: EnvLocal):
    expected = env_local.config.tags.as_dict()
    state = state_of(env_local.stack_dir, env_local.cmd_env)
    checked, missing = 0, []
    for resource in state["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            attributes = instance["attributes"]
            if "tags_all" not in attributes:
                continue  # the resource type takes no tags
            arn = attributes.get("arn") or attributes["id"]
            held = tags_of(env_local.client, resource["type"], arn)
            checked += 1
            wrong = {k: held.get(k) for k in REQUIRED_TAGS if held.get(k) != expected[k]}
            if wrong:
                missing.append(f"{resource['type']}.{resource['name']}: {wrong}")
    assert checked >= 20
    assert not missing, "resources without the three tags in the emulator:\n" + "\n".join(missing)


def _wait_for_lock(env_local: EnvLocal, lock_id: str, holder: Future, timeout: float = 120) -> None:
    dynamodb = env_local.client("dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = dynamodb.get_item(TableName=env_local.config.state.lock_table, Key={"LockID": {"S": lock_id}}).get("Item")
        if item and "Info" in item:
            return
        if holder.done():
            holder.result()  # raises what the apply raised
            raise AssertionError("the apply ended before it was seen holding the lock")
        time.sleep(0.2)
    raise AssertionError(f"no lock item {lock_id} appeared in {env_local.config.state.lock_table}")


def _cluster(rds, identifier: str) -> dict[str, Any]:
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    return cluster


def _task_environment(env_local: EnvLocal, task_definition: str) -> dict[str, str]:
    """The first container's environment (and ``secrets``) of a task definition (family or ARN)."""
    ecs = env_local.client("ecs")
    container = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["containerDefinitions"][0]
    return {e["name"]: e["value"] for e in container["environment"]} | {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}


def _served_environment(env_local: EnvLocal) -> dict[str, str]:
    outputs = env_local.outputs
    ecs = env_local.client("ecs")
    (service,) = ecs.describe_services(cluster=outputs["ecs_cluster_name"], services=[outputs["ecs_service_name"]])["services"]
    return _task_environment(env_local, service["taskDefinition"])


@dataclass(frozen=True)
class RestoreBeside:
    """What the drill's first two steps saw: blue, its snapshot, the state and the served task
    environment before, and the second operation that raced the restore for the lock."""

    blue: dict[str, Any]
    snapshot_id: str
    before: dict[str, Any]
    served_before: dict[str, str]
    second: subprocess.CompletedProcess[str]


@alongside_the_read_only_tests("test_restore_beside_and_cutover_keep_the_old_cluster_and_one_operation_holds_the_lock")
def restore_beside(env: EnvLocal) -> RestoreBeside:
    """Steps 1-2 of the drill, while the read-only tests run: they cannot see green (they read blue
    by its endpoint, the outputs as deployed first, and the data plane, which moves only at step 5),
    and the drift checks started before it in the same thread, so no other operation takes the lock."""
    rds, target = env.client("rds"), env.target
    (blue,) = [c for c in rds.describe_db_clusters()["DBClusters"] if c["Endpoint"] == env.outputs["db_endpoint"]]
    snapshot_id = f"{blue['DBClusterIdentifier']}-drill-{int(time.time())}"
    rds.create_db_cluster_snapshot(DBClusterIdentifier=blue["DBClusterIdentifier"], DBClusterSnapshotIdentifier=snapshot_id)
    before = state_of(env.stack_dir, env.cmd_env)
    served_before = _served_environment(env)

    # 2. restore beside, with a second operation racing for the lock
    write_env_copy(env.env_dir, port=target.port, database_extra={"clusters": ["blue", "green"], "restore": {"green": snapshot_id}})
    env.figures["drill synth, in process (s)"] = env.synth()
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(local.deploy_stack, target.stack, env.out, env.cmd_env)
        _wait_for_lock(env, f"{env.config.state.bucket}/{env.config.state.key}", holder)
        second = terraform(["plan", "-input=false", "-no-color", "-lock-timeout=0s"], env.stack_dir, env.cmd_env)
        holder.result()
    env.figures["restore beside (s)"] = time.monotonic() - started
    return RestoreBeside(blue, snapshot_id, before, served_before, second)


@pytest.mark.mutates_env_local(order=20)
def test_restore_beside_and_cutover_keep_the_old_cluster_and_one_operation_holds_the_lock(env_local: EnvLocal):
    """The restore drill of docs/runbooks/backup-and-restore.md, and the state lock, in one scenario:
    1. snapshot blue; 2. restore = { green = <snapshot> }: green is built from it beside blue, while a
    second operation is refused the lock and the state stays whole (steps 1-2 run alongside the
    read-only tests: ``restore_beside``); 3. serve = "green": the API's task definition points at
    green, blue is still there; 4. the plan is clean; 5. the data plane follows what was deployed,
    and a request through the edge is served from green."""
    rds, target = env_local.client("rds"), env_local.target
    run = env_local.alongside(restore_beside)
    blue, snapshot_id, before, second = run.blue, run.snapshot_id, run.before, run.second
    (snapshot,) = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot_id)["DBClusterSnapshots"]
    assert snapshot["Status"] == "available"
    green_id = f"{blue['DBClusterIdentifier']}-green"
    restore = {"clusters": ["blue", "green"], "restore": {"green": snapshot_id}}
    assert second.returncode != 0 and "Error acquiring the state lock" in second.stderr + second.stdout
    after = state_of(env_local.stack_dir, env_local.cmd_env)
    assert after["lineage"] == before["lineage"] and after["serial"] > before["serial"]
    added = resource_addresses(after) - resource_addresses(before)
    assert resource_addresses(before) <= resource_addresses(after)
    assert added and all("green" in address for address in added), added
    lock_items = env_local.client("dynamodb").scan(TableName=env_local.config.state.lock_table)["Items"]
    assert not [i for i in lock_items if "Info" in i], "the lock was not released"
    green = _cluster(rds, green_id)
    events = rds.describe_events(SourceType="db-cluster", SourceIdentifier=green_id)["Events"]
    assert f"Restored from snapshot {snapshot_id}" in [e["Message"] for e in events]
    assert green["MasterUserSecret"]["SecretArn"], "the restored cluster has its own managed master secret"
    assert _cluster(rds, blue["DBClusterIdentifier"])["DbClusterResourceId"] == blue["DbClusterResourceId"], "blue was replaced"
    assert _served_environment(env_local) == run.served_before, "the API moved before the cutover"

    # 3. cutover
    write_env_copy(env_local.env_dir, port=target.port, database_extra=restore | {"serve": "green"})
    env_local.figures["drill synth again (s)"] = env_local.synth()
    started = time.monotonic()
    local.deploy_stack(target.stack, env_local.out, env_local.cmd_env)
    env_local.figures["cutover (s)"] = time.monotonic() - started
    served = _served_environment(env_local)
    assert served["DB_HOST"] == green["Endpoint"]
    assert served["DB_SECRET_ARN"] == env_local.outputs["db_app_secret_arn"], "the API keeps its own user's secret"
    admin = _task_environment(env_local, env_local.outputs["db_admin_task_definition_family"])
    assert admin["DB_MASTER_SECRET_ARN"] == green["MasterUserSecret"]["SecretArn"], "the admin task follows the served cluster"
    assert _cluster(rds, blue["DBClusterIdentifier"])["DbClusterResourceId"] == blue["DbClusterResourceId"], "blue is kept"
    # hashicorp/terraform-provider-aws#35189 (AWS too): a restore does not apply
    # iam_database_authentication_enabled; the runbook's next apply (here: the cutover) does.
    assert _cluster(rds, green_id)["IAMDatabaseAuthenticationEnabled"] is True

    # 4. nothing left to do
    started = time.monotonic()
    plan = terraform(["plan", "-detailed-exitcode", "-input=false", "-no-color"], env_local.stack_dir, env_local.cmd_env)
    env_local.figures["plan after the cutover (s)"] = time.monotonic() - started
    assert plan.returncode == 0, plan.stdout[-3000:]

    # 5. it runs: the data plane follows the deployed cutover, and the API answers from green
    outputs = local.stack_outputs(target, env_local.out, env_local.cmd_env)
    assert outputs["db_endpoint"] == green["Endpoint"]
    started = time.monotonic()
    running = plane.start(dict(outputs), endpoint=target.endpoint, region=target.region, state_dir=env_local.state_dir)
    env_local.figures["data plane follows the cutover (s)"] = time.monotonic() - started
    assert running.spec.database.endpoint == green["Endpoint"]
    with urllib.request.urlopen(running.api_url + "/health/ready", timeout=30) as response:  # noqa: S310 - the local edge
        assert response.status == 200


def _seed_bucket_url(env_local: EnvLocal) -> str | None:
    source = env_local.config.database.seed_source
    return f"s3://{source.removeprefix('s3://').split('/', 1)[0]}/" if source else None


@pytest.mark.mutates_env_local(order=1000)
def test_destroy_leaves_nothing_behind(env_local: EnvLocal):
    timings = local.destroy_stacks(env_local.target, env_local.out, env_local.cmd_env)
    env_local.figures["destroy env-local (s)"] = timings["destroy"]
    env_local.figures["destroy bootstrap (s)"] = timings["destroy_bootstrap"]
    c = env_local.client
    leftovers = {
        "ecs clusters": [
            x for x in c("ecs").describe_clusters(clusters=c("ecs").list_clusters()["clusterArns"])["clusters"] if x["status"] == "ACTIVE"
        ],
        "load balancers": c("elbv2").describe_load_balancers()["LoadBalancers"],
        "target groups": c("elbv2").describe_target_groups()["TargetGroups"],
        "db clusters": c("rds").describe_db_clusters()["DBClusters"],
        "db instances": c("rds").describe_db_instances()["DBInstances"],
        "distributions": c("cloudfront").list_distributions()["DistributionList"].get("Items", []),
        "vpc origins": c("cloudfront").list_vpc_origins()["VpcOriginList"].get("Items") or [],
        "response headers policies": c("cloudfront").list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"].get("Items")
        or [],
        # the seed bucket ([database] seed_source) is the operator's, not the stack's: make local made it
        "buckets": [b for b in c("s3").list_buckets()["Buckets"] if f"s3://{b['Name']}/" != _seed_bucket_url(env_local)],
        "dynamodb tables": c("dynamodb").list_tables()["TableNames"],
        "ecr repositories": c("ecr").describe_repositories()["repositories"],
        "log groups": c("logs").describe_log_groups()["logGroups"],
        "alarms": c("cloudwatch").describe_alarms()["MetricAlarms"],
        "sns topics": c("sns").list_topics()["Topics"],
        "event rules": c("events").list_rules()["Rules"],
        "web acls": c("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"],
        "scalable targets": c("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"],
        "secrets": c("secretsmanager").list_secrets()["SecretList"],
        "budgets": c("budgets").describe_budgets(AccountId=localaws.ACCOUNT_ID).get("Budgets", []),
        "roles": [r for r in c("iam").list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")],
        "security groups": [g for g in c("ec2").describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"],
        "live kms keys": [
            meta
            for meta in (c("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in c("kms").list_keys()["Keys"])
            # AWS-managed keys, and the key moto makes on its own for service defaults, stay
            if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled" and meta.get("Description") != "Default key"
        ],
    }
    assert {name: items for name, items in leftovers.items() if items} == {}
    assert c("ec2").describe_vpcs(VpcIds=[env_local.config.network.vpc_id])["Vpcs"], "the existing VPC must survive"
