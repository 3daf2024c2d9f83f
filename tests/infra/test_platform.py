"""The application platform: network, API service, scaling, secrets and database, as synthesized.

GIVEN the shipped env files WHEN they are synthesized THEN each construct's output
carries the property named by the test. Values are read from the env files, so a
test fails when the wiring stops following the configuration.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from environment.config import ConfigError, load_environments, parse_environment
from environment.names import name_prefix
from tests.synth import ROOT, only, resources_of, task_definition

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}
REF = re.compile(r"^\$\{[^}]+\}$")


def container(stack: dict) -> dict:
    [definition] = json.loads(task_definition(stack)["container_definitions"])
    return definition


def by_name(stack: dict, rtype: str, field: str, suffix: str) -> dict:
    [found] = [r for r in resources_of(stack, rtype).values() if str(r.get(field, "")).endswith(suffix)]
    return found


# ---- autoscaling ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVS))
def test_both_cpu_thresholds_drive_their_own_scaling_policy(stacks, name):
    api = ENVS[name].api
    stack = stacks[f"env-{name}"]
    target = only(stack, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (api.min_tasks, api.max_tasks)
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"

    high = by_name(stack, "aws_cloudwatch_metric_alarm", "alarm_name", "api-cpu-high")
    low = by_name(stack, "aws_cloudwatch_metric_alarm", "alarm_name", "api-cpu-low")
    assert (high["threshold"], high["comparison_operator"]) == (api.scale_up_cpu_percent, "GreaterThanOrEqualToThreshold")
    assert (low["threshold"], low["comparison_operator"]) == (api.scale_down_cpu_percent, "LessThanOrEqualToThreshold")
    for alarm in (high, low):
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/ECS", "CPUUtilization", "Average")

    policies = resources_of(stack, "aws_appautoscaling_policy")
    out_id = next(k for k, p in policies.items() if p["name"].endswith("scale-out"))
    in_id = next(k for k, p in policies.items() if p["name"].endswith("scale-in"))
    assert high["alarm_actions"] == [f"${{aws_appautoscaling_policy.{out_id}.arn}}"]
    assert low["alarm_actions"] == [f"${{aws_appautoscaling_policy.{in_id}.arn}}"]
    out_step = policies[out_id]["step_scaling_policy_configuration"]["step_adjustment"][0]
    in_step = policies[in_id]["step_scaling_policy_configuration"]["step_adjustment"][0]
    assert out_step["scaling_adjustment"] > 0 and out_step["metric_interval_lower_bound"] == "0"
    assert in_step["scaling_adjustment"] < 0 and in_step["metric_interval_upper_bound"] == "0"


# ---- task definition and service -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVS))
def test_task_definition_sizes_and_hardening_follow_the_env_file(stacks, name):
    api = ENVS[name].api
    stack = stacks[f"env-{name}"]
    task = task_definition(stack)
    assert (task["cpu"], task["memory"]) == (str(api.cpu), str(api.memory))
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"
    c = container(stack)
    assert c["image"].endswith(f".repository_url}}:{api.image.tag}")
    assert c["readonlyRootFilesystem"] is True and c["privileged"] is False
    assert c["user"] == "10001:10001"
    assert c["logConfiguration"]["logDriver"] == "awslogs"
    assert c["healthCheck"]["command"][:2] == ["CMD", "python"]
    assert {m["containerPath"] for m in c["mountPoints"]} == {"/tmp"}


@pytest.mark.parametrize("name", sorted(ENVS))
def test_container_gets_secret_arns_and_never_secret_values(stacks, name):
    stack = stacks[f"env-{name}"]
    env = {e["name"]: e["value"] for e in container(stack)["environment"]}
    assert "secrets" not in container(stack)  # values are pulled by the app, not injected
    secret_vars = {k: v for k, v in env.items() if "SECRET" in k or "PASSWORD" in k or "TOKEN" in k}
    assert set(secret_vars) == {"DB_SECRET_ARN", "AUTH0_SECRET_ARN"}
    secret_ids = {s["name"].rsplit("/", 1)[1]: k for k, s in resources_of(stack, "aws_secretsmanager_secret").items()}
    assert secret_vars["AUTH0_SECRET_ARN"] == f"${{aws_secretsmanager_secret.{secret_ids['auth0']}.arn}}"
    assert secret_vars["DB_SECRET_ARN"] == f"${{aws_secretsmanager_secret.{secret_ids['db-app']}.arn}}"  # the app user, not the master


@pytest.mark.parametrize("name", sorted(ENVS))
def test_task_role_reads_exactly_its_own_secrets(stacks, name):
    stack = stacks[f"env-{name}"]
    c = container(stack)
    arns = sorted(e["value"] for e in c["environment"] if e["name"].endswith("_SECRET_ARN"))
    task_role_id = next(k for k, r in resources_of(stack, "aws_iam_role").items() if r["name"].endswith("api-task"))
    [policy] = [p for p in resources_of(stack, "aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{task_role_id}.id}}"]
    text = policy["policy"]
    assert "secretsmanager:GetSecretValue" in text
    for arn in arns:
        assert arn.strip("${}") in text
    # no wildcard resources and nothing beyond reading secrets and decrypting them (the seed is the loader task's)
    assert '"*"' not in text and "secretsmanager:*" not in text
    assert set(re.findall(r'"((?:[a-z0-9-]+):[A-Za-z*]+)"', text)) <= {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "kms:Decrypt",
        "kms:ViaService",
    }
    assert "master_user_secret" not in text


@pytest.mark.parametrize("name", sorted(ENVS))
def test_service_runs_privately_behind_the_nlb_with_rollback(stacks, name):
    env = ENVS[name]
    stack = stacks[f"env-{name}"]
    service = only(stack, "aws_ecs_service")
    assert service["network_configuration"]["assign_public_ip"] is False
    assert service["network_configuration"]["subnets"] == env.network.private_subnet_ids
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["health_check_grace_period_seconds"] == env.api.health_check_grace_seconds
    assert env.api.min_tasks <= service["desired_count"] <= env.api.max_tasks
    tg_id = next(iter(resources_of(stack, "aws_lb_target_group")))
    assert service["load_balancer"][0]["target_group_arn"] == f"${{aws_lb_target_group.{tg_id}.arn}}"
    assert service["load_balancer"][0]["container_port"] == env.api.container_port

    lb = only(stack, "aws_lb")
    assert lb["load_balancer_type"] == "network" and lb["internal"] is True
    assert lb["subnets"] == env.network.private_subnet_ids
    assert lb["enable_cross_zone_load_balancing"] is True
    tg = only(stack, "aws_lb_target_group")
    assert (tg["protocol"], tg["target_type"]) == ("TCP", "ip")
    assert tg["health_check"]["protocol"] == "HTTP" and tg["health_check"]["path"] == env.api.health_check_path
    assert tg["health_check"]["path"] == "/api/health/live"  # liveness: a database blip must not fail every task
    listener = only(stack, "aws_lb_listener")
    [api_origin] = [o for o in only(stack, "aws_cloudfront_distribution")["origin"] if o["origin_id"] == "api"]
    vpc_origin_id = next(iter(resources_of(stack, "aws_cloudfront_vpc_origin")))
    assert api_origin["vpc_origin_config"] == {"vpc_origin_id": f"${{aws_cloudfront_vpc_origin.{vpc_origin_id}.id}}"}
    [endpoint] = only(stack, "aws_cloudfront_vpc_origin")["vpc_origin_endpoint_config"]
    assert endpoint["arn"] == f"${{aws_lb.{next(iter(resources_of(stack, 'aws_lb')))}.arn}}"
    assert endpoint["origin_ssl_protocols"] == [{"items": ["TLSv1.2"], "quantity": 1}]
    if env.api.origin_tls:  # CloudFront -> NLB over TLS, to the name the certificate covers
        assert (listener["port"], listener["protocol"]) == (443, "TLS")
        assert listener["certificate_arn"] == env.api.origin_tls.certificate_arn
        assert listener["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
        assert (endpoint["origin_protocol_policy"], endpoint["https_port"]) == ("https-only", 443)
        assert api_origin["domain_name"] == env.api.origin_tls.domain
    else:
        assert (listener["port"], listener["protocol"]) == (80, "TCP")
        assert (endpoint["origin_protocol_policy"], endpoint["http_port"]) == ("http-only", 80)
        assert api_origin["domain_name"] == f"${{aws_lb.{next(iter(resources_of(stack, 'aws_lb')))}.dns_name}}"
    lb_in = [
        r for r in resources_of(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] in lb["security_groups"]
    ]
    assert [(r["from_port"], r["to_port"]) for r in lb_in] == [(listener["port"], listener["port"])], "one rule, the listener port only"


def test_ecr_repository_scans_and_keeps_tags_immutable(stacks):
    repo = only(stacks["env-staging"], "aws_ecr_repository")
    assert repo["name"] == ENVS["staging"].api.image.repository
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    rules = json.loads(only(stacks["env-staging"], "aws_ecr_lifecycle_policy")["policy"])["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "any"}
    cluster = only(stacks["env-staging"], "aws_ecs_cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]


# ---- network ---------------------------------------------------------------------------------


def test_only_the_tasks_reach_the_database_and_only_the_lb_reaches_the_tasks(stacks):
    stack = stacks["env-staging"]
    groups = {r["name"].rsplit("-", 1)[1]: k for k, r in resources_of(stack, "aws_security_group").items()}
    assert set(groups) == {"lb", "tasks", "db"}
    assert all(r["vpc_id"] == ENVS["staging"].network.vpc_id for r in resources_of(stack, "aws_security_group").values())
    ingress = list(resources_of(stack, "aws_vpc_security_group_ingress_rule").values())

    def ingress_to(group):
        return [r for r in ingress if r["security_group_id"] == f"${{aws_security_group.{groups[group]}.id}}"]

    [db_rule] = ingress_to("db")
    assert (db_rule["from_port"], db_rule["to_port"]) == (3306, 3306)
    assert db_rule["referenced_security_group_id"] == f"${{aws_security_group.{groups['tasks']}.id}}"
    assert "cidr_ipv4" not in db_rule
    [task_rule] = ingress_to("tasks")
    assert task_rule["from_port"] == ENVS["staging"].api.container_port
    assert task_rule["referenced_security_group_id"] == f"${{aws_security_group.{groups['lb']}.id}}"
    assert not resources_of(stack, "aws_vpc") and not resources_of(stack, "aws_subnet")  # nothing network-level is created


# ---- database --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVS))
def test_aurora_serverless_v2_follows_the_env_file(stacks, name):
    db = ENVS[name].database
    stack = stacks[f"env-{name}"]
    cluster = only(stack, "aws_rds_cluster")
    assert (cluster["engine"], cluster["engine_mode"], cluster["engine_version"]) == ("aurora-mysql", "provisioned", db.engine_version)
    assert cluster["serverlessv2_scaling_configuration"] == {"min_capacity": db.min_capacity_acu, "max_capacity": db.max_capacity_acu}
    assert cluster["manage_master_user_password"] is True and "master_password" not in cluster
    assert cluster["storage_encrypted"] is True and REF.match(cluster["kms_key_id"])
    assert cluster["backup_retention_period"] == db.backup_retention_days
    assert cluster["copy_tags_to_snapshot"] is True
    assert set(cluster["enabled_cloudwatch_logs_exports"]) == {"audit", "error", "slowquery"}
    instances = list(resources_of(stack, "aws_rds_cluster_instance").values())
    assert len(instances) == db.instances
    assert all(i["instance_class"] == "db.serverless" and i["publicly_accessible"] is False for i in instances)
    subnets = only(stack, "aws_db_subnet_group")
    assert subnets["subnet_ids"] == ENVS[name].network.private_subnet_ids


@pytest.mark.parametrize("name", ["staging", "production"])
def test_real_account_databases_refuse_deletion_and_snapshot_on_destroy(stacks, name):
    """Staging auto-approves its deploys: a bad change must not destroy the data with nothing left."""
    cluster = only(stacks[f"env-{name}"], "aws_rds_cluster")
    assert cluster["deletion_protection"] is True
    assert cluster["skip_final_snapshot"] is False
    assert cluster["final_snapshot_identifier"] == f"{name_prefix(ENVS[name])}-db-final"  # the same on every synth


def test_only_the_emulator_database_may_be_destroyed_without_a_snapshot(stacks):
    cluster = only(stacks["env-local"], "aws_rds_cluster")
    assert cluster["deletion_protection"] is False and cluster["skip_final_snapshot"] is True  # make down destroys it
    assert "final_snapshot_identifier" not in cluster


def test_the_emulator_file_turns_protection_off_itself_not_its_endpoint():
    """Protection is a setting with a safe default: an emulator env file without the two keys keeps both on."""
    local = (ROOT / "envs" / "local.toml").read_text()
    kept = "\n".join(line for line in local.splitlines() if not line.startswith(("deletion_protection", "final_snapshot")))
    assert kept != local
    config = parse_environment(Path("envs/local.toml"), kept)
    assert config.aws.endpoint is not None
    assert (config.database.deletion_protection, config.database.final_snapshot) == (True, True)


def test_an_env_file_opts_out_of_protection_explicitly_and_production_cannot():
    """On by default; a staging file may say false, production is refused."""
    staging = (ROOT / "envs" / "staging.toml").read_text()
    opted_out = staging.replace(
        "backup_retention_days = 7", "backup_retention_days = 7\ndeletion_protection = false\nfinal_snapshot = false"
    )
    config = parse_environment(Path("envs/staging.toml"), opted_out)
    assert (config.database.deletion_protection, config.database.final_snapshot) == (False, False)
    production = (ROOT / "envs" / "production.toml").read_text()
    for knob in ("deletion_protection", "final_snapshot"):
        text = production.replace("backup_retention_days = 14", f"backup_retention_days = 14\n{knob} = false")
        with pytest.raises(ConfigError, match="production cannot turn off database.deletion_protection"):
            parse_environment(Path("envs/production.toml"), text)


def test_production_keeps_its_load_balancer_registry_and_secrets_where_staging_may_be_torn_down(stacks):
    prod, staging = stacks["env-production"], stacks["env-staging"]
    assert only(prod, "aws_rds_cluster")["backup_retention_period"] >= 7
    assert only(prod, "aws_lb")["enable_deletion_protection"] is True
    assert only(staging, "aws_lb")["enable_deletion_protection"] is False
    assert only(prod, "aws_ecr_repository")["force_delete"] is False
    assert only(staging, "aws_ecr_repository")["force_delete"] is True
    p_secret = next(iter(resources_of(prod, "aws_secretsmanager_secret").values()))
    s_secret = next(iter(resources_of(staging, "aws_secretsmanager_secret").values()))
    assert p_secret["recovery_window_in_days"] == 30 and s_secret["recovery_window_in_days"] == 0


def _staging_with_database(tmp_path, extra: str) -> dict:
    from tests.synth import synth_envs

    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    text = (ROOT / "envs" / "staging.toml").read_text()
    (env_dir / "staging.toml").write_text(text.replace("backup_retention_days = 7", "backup_retention_days = 7\n" + extra))
    return synth_envs(tmp_path / "out", env_dir)["env-staging"]


def _cluster_ids(stack: dict) -> dict[str, str]:
    """cluster_identifier -> logical id."""
    return {c["cluster_identifier"]: k for k, c in resources_of(stack, "aws_rds_cluster").items()}


def _task_environment(stack: dict) -> dict[str, str]:
    (service,) = [
        t for t in resources_of(stack, "aws_ecs_task_definition").values() if "-api" in t["family"] and "oneoff" not in t["family"]
    ][:1]
    (container,) = json.loads(service["container_definitions"])[:1]
    return {e["name"]: e["value"] for e in container["environment"]} | {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}


def test_a_restore_builds_a_second_cluster_beside_the_live_one_and_the_api_stays(tmp_path, stacks):
    before = stacks["env-staging"]
    stack = _staging_with_database(tmp_path, 'clusters = ["blue", "green"]\nrestore = { green = "geoapp-staging-before-upgrade" }')
    ids = _cluster_ids(stack)
    assert set(ids) == {"geo-data-app-staging-db", "geo-data-app-staging-db-green"}
    blue, green = (resources_of(stack, "aws_rds_cluster")[ids[n]] for n in ("geo-data-app-staging-db", "geo-data-app-staging-db-green"))
    # blue is untouched: same logical id, same arguments, so the plan changes nothing on it
    assert resources_of(before, "aws_rds_cluster") == {ids["geo-data-app-staging-db"]: blue}
    assert green["snapshot_identifier"] == "geoapp-staging-before-upgrade" and "snapshot_identifier" not in blue
    assert green["deletion_protection"] is True
    assert green["final_snapshot_identifier"] == "geo-data-app-staging-db-green-final-from-geoapp-staging-before-upgrade"
    green_instances = [
        i
        for i in resources_of(stack, "aws_rds_cluster_instance").values()
        if ids["geo-data-app-staging-db-green"] in i["cluster_identifier"]
    ]
    assert len(green_instances) == 1
    # until the cutover the API keeps using blue
    assert _task_environment(stack) == _task_environment(before)


def test_the_cutover_points_the_api_at_the_served_cluster_and_keeps_the_other(tmp_path):
    stack = _staging_with_database(tmp_path, 'clusters = ["blue", "green"]\nrestore = { green = "s1" }\nserve = "green"')
    ids = _cluster_ids(stack)
    green = ids["geo-data-app-staging-db-green"]
    environment = _task_environment(stack)
    assert environment["DB_HOST"] == f"${{aws_rds_cluster.{green}.endpoint}}"
    assert "master_user_secret" not in environment["DB_SECRET_ARN"]  # the app user's secret, whichever cluster serves
    [admin] = json.loads(task_definition(stack, "db-admin")["container_definitions"])
    admin_env = {e["name"]: e["value"] for e in admin["environment"]}
    assert admin_env["DB_HOST"] == f"${{aws_rds_cluster.{green}.endpoint}}"
    assert admin_env["DB_MASTER_SECRET_ARN"] == f"${{aws_rds_cluster.{green}.master_user_secret[0].secret_arn}}"
    assert resources_of(stack, "aws_rds_cluster")[ids["geo-data-app-staging-db"]]["deletion_protection"] is True
    outputs = stack["output"]
    assert outputs["db_endpoint"]["value"] == f"${{aws_rds_cluster.{green}.endpoint}}"


def test_retiring_a_cluster_lifts_its_deletion_protection_only(tmp_path):
    stack = _staging_with_database(tmp_path, 'clusters = ["blue", "green"]\nrestore = { green = "s1" }\nserve = "green"\nretire = ["blue"]')
    protection = {c["cluster_identifier"]: c["deletion_protection"] for c in resources_of(stack, "aws_rds_cluster").values()}
    assert protection == {"geo-data-app-staging-db": False, "geo-data-app-staging-db-green": True}


def test_without_a_snapshot_the_cluster_starts_empty(stacks):
    assert "snapshot_identifier" not in only(stacks["env-staging"], "aws_rds_cluster")


# ---- KMS -------------------------------------------------------------------------------------


def test_one_rotating_key_encrypts_secrets_logs_and_the_database(stacks):
    stack = stacks["env-staging"]
    # the environment's key (the alarm topics have their own: CloudWatch and EventBridge must use them)
    [key_id] = [
        k for k in resources_of(stack, "aws_kms_key") if only(stack, "aws_rds_cluster")["kms_key_id"] == f"${{aws_kms_key.{k}.arn}}"
    ]
    key = resources_of(stack, "aws_kms_key")[key_id]
    assert key["enable_key_rotation"] is True
    ref = f"${{aws_kms_key.{key_id}.arn}}"
    assert all(s["kms_key_id"] == ref for s in resources_of(stack, "aws_secretsmanager_secret").values())
    assert all(g["kms_key_id"] == ref for g in resources_of(stack, "aws_cloudwatch_log_group").values())
    assert only(stack, "aws_rds_cluster")["master_user_secret_kms_key_id"] == ref
    assert all(g["retention_in_days"] > 0 for g in resources_of(stack, "aws_cloudwatch_log_group").values())


@pytest.mark.parametrize("name", sorted(ENVS))
def test_outputs_expose_what_operators_need_and_no_secret_values(stacks, name):
    from environment.outputs import OUTPUT_NAMES as CONTRACT_OUTPUTS  # what the operator commands read

    outputs = stacks[f"env-{name}"]["output"]
    assert set(CONTRACT_OUTPUTS) <= set(outputs)
    assert {"site_url", "api_origin", "ecr_repository_url", "db_endpoint", "db_secret_arn", "auth0_secret_arn"} <= set(CONTRACT_OUTPUTS)
    for key in ("db_secret_arn", "auth0_secret_arn"):
        assert REF.match(outputs[key]["value"]) and outputs[key]["value"].endswith("arn}")


# ---- WAF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVS))
def test_cloudfront_sits_behind_a_waf_in_us_east_1_with_a_per_ip_rate_limit(stacks, name):
    site = ENVS[name].site
    stack = stacks[f"env-{name}"]
    acl_id, acl = next(iter(resources_of(stack, "aws_wafv2_web_acl").items()))
    assert acl["scope"] == "CLOUDFRONT" and acl["provider"] == "aws.edge"
    assert only(stack, "aws_cloudfront_distribution")["web_acl_id"] == f"${{aws_wafv2_web_acl.{acl_id}.arn}}"
    rules = {r["name"]: r for r in acl["rule"]}
    assert rules["rate-limit-per-ip"]["statement"]["rate_based_statement"]["limit"] == site.waf_rate_limit_per_5min
    assert rules["rate-limit-per-ip"]["action"] == {"block": {}}
    common = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managed_rule_group_statement"]
    # GeoJSON bodies are routinely over the 8 KB body rule: counted, not blocked
    assert common["rule_action_override"] == [{"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}}]
    assert {"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList"} <= set(rules)


# ---- buckets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ["env-staging", "env-production", "env-local", "bootstrap-geoapp-tfstate-123456789012"])
def test_every_bucket_is_private_versioned_kms_encrypted_and_expires_old_versions(stacks, stack_name):
    stack = stacks[stack_name]
    buckets = resources_of(stack, "aws_s3_bucket")
    assert buckets

    def attached(rtype: str, bucket_id: str) -> list[dict]:
        return [r for r in resources_of(stack, rtype).values() if r["bucket"] == f"${{aws_s3_bucket.{bucket_id}.id}}"]

    for bucket_id in buckets:
        [pab] = attached("aws_s3_bucket_public_access_block", bucket_id)
        assert all(pab[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
        [versioning] = attached("aws_s3_bucket_versioning", bucket_id)
        assert versioning["versioning_configuration"]["status"] == "Enabled"
        [sse] = attached("aws_s3_bucket_server_side_encryption_configuration", bucket_id)
        assert sse["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
        [lifecycle] = attached("aws_s3_bucket_lifecycle_configuration", bucket_id)
        [rule] = lifecycle["rule"]
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] > 0
        assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 7
        [ownership] = attached("aws_s3_bucket_ownership_controls", bucket_id)
        # ACLs off, except the edge log bucket: CloudFront standard logging writes through its ACL (tests/infra/test_edge_logs.py)
        expected = "BucketOwnerPreferred" if bucket_id.startswith("edge-logs_bucket_") else "BucketOwnerEnforced"
        assert ownership["rule"]["object_ownership"] == expected


def test_each_restored_generation_gets_its_own_final_snapshot_name():
    from modules.database import final_snapshot_name

    assert final_snapshot_name("geoapp-production-db", None) == "geoapp-production-db-final"
    first = final_snapshot_name("geoapp-production-db", "geoapp-production-db-final")
    assert first == "geoapp-production-db-final-from-geoapp-production-db-final"
    arn = "arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:nightly-2026-11-25"
    assert final_snapshot_name("geoapp-production-db", arn) == "geoapp-production-db-final-from-nightly-2026-11-25"
    assert len({final_snapshot_name("db", s) for s in (None, "a", "b")}) == 3


# ---- logs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVS))
def test_every_log_group_keeps_its_logs_as_long_as_the_env_file_says(stacks, name):
    env = ENVS[name]
    groups = {g["name"]: g["retention_in_days"] for g in resources_of(stacks[f"env-{name}"], "aws_cloudwatch_log_group").values()}
    api = f"/ecs/{name_prefix(env)}/api"
    assert groups.pop(api) == env.api.log_retention_days
    assert groups and set(groups.values()) == {env.logs.retention_days}, groups  # Aurora's exported logs


def test_a_log_retention_cloudwatch_does_not_accept_is_refused():
    text = (ROOT / "envs" / "staging.toml").read_text().replace("\nretention_days = 90", "\nretention_days = 45")
    with pytest.raises(ConfigError, match=r"logs: retention_days 45 is not one CloudWatch accepts"):
        parse_environment(Path("envs/staging.toml"), text)
