"""Operations alarms of the real-account environments, as synthesized.

GIVEN the shipped env files WHEN they are synthesized THEN every operations alarm exists, watches
this environment's own load balancer, service, distribution and cluster (Terraform references,
not names typed twice), uses the threshold of the env file's ``[alarms]``, and notifies an
encrypted topic that the ``[alarms]`` (or ``[cost]``) e-mails subscribe to.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from environment.config import load_environments
from modules.alarms import ACCESS_LOG_FIELDS
from tests.synth import ROOT, only, resources_of

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}
REAL = sorted(name for name, env in ENVS.items() if not env.is_emulator)
"""The real-account environments (env-local has alarms too, on the emulator)."""
OPERATIONS_ALARMS = (
    "unhealthy-targets",
    "tasks-below-desired",
    "api-5xx-rate",
    "api-latency-p99",
    "cdn-5xx-rate",
    "aurora-capacity-at-max",
    "aurora-cpu",
    "aurora-connections",
)


def ref(stack: dict, rtype: str, attr: str) -> str:
    """``${<rtype>.<id>.<attr>}`` of the only resource of ``rtype`` in ``stack``."""
    [rid] = resources_of(stack, rtype)
    return f"${{{rtype}.{rid}.{attr}}}"


def alarm(stack: dict, name: str, suffix: str) -> dict:
    [found] = [a for a in resources_of(stack, "aws_cloudwatch_metric_alarm").values() if a["alarm_name"] == f"geo-data-app-{name}-{suffix}"]
    return found


def topics(stack: dict) -> dict[str, tuple[str, dict]]:
    """Alarm topics by name: (``${aws_sns_topic.<id>.arn}``, resource)."""
    return {t["name"]: (f"${{aws_sns_topic.{rid}.arn}}", t) for rid, t in resources_of(stack, "aws_sns_topic").items()}


def test_every_shipped_env_has_alarms_the_emulator_too(stacks):
    """env-local deploys them on the emulator (SNS, EventBridge routed there: modules/providers.py)."""
    from environment.aws_services import AWS_ENDPOINT_KEYS

    assert REAL == ["production", "staging"]
    assert all(env.alarms.enabled for env in ENVS.values())
    assert {"sns", "events", "cloudwatch"} <= set(AWS_ENDPOINT_KEYS)
    local = stacks["env-local"]
    assert set(topics(local)) == {"geo-data-app-local-alarms", "geo-data-app-local-alarms-edge"}
    for provider in local["provider"]["aws"]:
        assert {"sns", "events", "cloudwatch"} <= set(provider["endpoints"][0]), provider.get("alias")


@pytest.mark.parametrize("name", REAL)
def test_alarm_topics_are_encrypted_with_their_own_rotating_key_and_e_mail_the_env_file_list(stacks, name):
    stack = stacks[f"env-{name}"]
    found = topics(stack)
    assert set(found) == {f"geo-data-app-{name}-alarms", f"geo-data-app-{name}-alarms-edge"}
    keys = resources_of(stack, "aws_kms_key")
    for arn, topic in found.values():
        key_id = re.fullmatch(r"\$\{aws_kms_key\.([^.]+)\.arn\}", topic["kms_master_key_id"]).group(1)
        assert keys[key_id]["enable_key_rotation"] is True
        subscribers = [s["endpoint"] for s in resources_of(stack, "aws_sns_topic_subscription").values() if s["topic_arn"] == arn]
        assert sorted(subscribers) == sorted(ENVS[name].alarm_emails) and ENVS[name].alarm_emails
    edge_arn, edge = found[f"geo-data-app-{name}-alarms-edge"]
    assert edge["provider"] == "aws.edge"  # CloudFront's metrics, hence its alarm and topic, are in us-east-1
    operations = [alarm(stack, name, suffix) for suffix in OPERATIONS_ALARMS]  # each exists once
    for a in operations:
        expected = edge_arn if a["alarm_name"].endswith("cdn-5xx-rate") else found[f"geo-data-app-{name}-alarms"][0]
        assert a["alarm_actions"] == [expected] and a["ok_actions"] == [expected], a["alarm_name"]


@pytest.mark.parametrize("name", REAL)
def test_unhealthy_targets_alarm_watches_this_envs_nlb_target_group(stacks, name):
    stack, s = stacks[f"env-{name}"], ENVS[name].alarms
    a = alarm(stack, name, "unhealthy-targets")
    assert (a["namespace"], a["metric_name"], a["statistic"]) == ("AWS/NetworkELB", "UnHealthyHostCount", "Maximum")
    assert a["dimensions"] == {
        "LoadBalancer": ref(stack, "aws_lb", "arn_suffix"),
        "TargetGroup": ref(stack, "aws_lb_target_group", "arn_suffix"),
    }
    assert (a["comparison_operator"], a["threshold"]) == ("GreaterThanOrEqualToThreshold", s.unhealthy_targets)
    assert s.unhealthy_targets >= 1  # i.e. UnHealthyHostCount > 0
    assert (a["evaluation_periods"], a["datapoints_to_alarm"]) == (s.evaluation_minutes, s.evaluation_minutes)


@pytest.mark.parametrize("name", REAL)
def test_every_alarm_evaluates_one_minute_periods_over_evaluation_minutes(stacks, name):
    """evaluation_periods counts minutes only if every metric (metric math: each of its metrics) has a 60 s period;
    missing data is healthy except for tasks-below-desired (no running tasks is the failure it reports)."""
    s = ENVS[name].alarms
    for suffix in OPERATIONS_ALARMS:
        a = alarm(stacks[f"env-{name}"], name, suffix)
        periods = [q["metric"]["period"] for q in a.get("metric_query", []) if "metric" in q] or [a.get("period")]
        assert periods == [60] * len(periods) and a["evaluation_periods"] == s.evaluation_minutes, suffix
        assert a["treat_missing_data"] == ("breaching" if suffix == "tasks-below-desired" else "notBreaching"), suffix


@pytest.mark.parametrize("name", REAL)
def test_tasks_below_desired_compares_running_with_desired_for_this_service(stacks, name):
    stack = stacks[f"env-{name}"]
    a = alarm(stack, name, "tasks-below-desired")
    queries = {q["id"]: q for q in a["metric_query"]}
    dims = {"ClusterName": ref(stack, "aws_ecs_cluster", "name"), "ServiceName": ref(stack, "aws_ecs_service", "name")}
    for qid, metric in (("desired", "DesiredTaskCount"), ("running", "RunningTaskCount")):
        m = queries[qid]["metric"]
        assert (m["namespace"], m["metric_name"], m["dimensions"]) == ("ECS/ContainerInsights", metric, dims)
    assert queries["missing"]["expression"] == "desired - running" and queries["missing"]["return_data"] is True
    assert (a["comparison_operator"], a["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    cluster = only(stack, "aws_ecs_cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]  # the metrics exist


@pytest.mark.parametrize("name", REAL)
def test_cloudfront_5xx_rate_alarm_watches_this_envs_distribution_from_us_east_1(stacks, name):
    stack = stacks[f"env-{name}"]
    a = alarm(stack, name, "cdn-5xx-rate")
    assert (a["namespace"], a["metric_name"], a["provider"]) == ("AWS/CloudFront", "5xxErrorRate", "aws.edge")
    assert a["dimensions"] == {"DistributionId": ref(stack, "aws_cloudfront_distribution", "id"), "Region": "Global"}
    assert a["threshold"] == ENVS[name].alarms.cdn_5xx_percent
    edge = stack["provider"]["aws"]
    assert any(p.get("alias") == "edge" and p["region"] == "us-east-1" for p in edge)


@pytest.mark.parametrize("name", REAL)
def test_aurora_capacity_alarm_fires_at_the_env_files_maximum_acu(stacks, name):
    stack, env = stacks[f"env-{name}"], ENVS[name]
    a = alarm(stack, name, "aurora-capacity-at-max")
    assert (a["namespace"], a["metric_name"], a["statistic"]) == ("AWS/RDS", "ServerlessDatabaseCapacity", "Maximum")
    assert a["dimensions"] == {"DBClusterIdentifier": ref(stack, "aws_rds_cluster", "cluster_identifier")}
    assert env.alarms.aurora_capacity_percent == 100
    assert (a["comparison_operator"], a["threshold"]) == ("GreaterThanOrEqualToThreshold", env.database.max_capacity_acu)


@pytest.mark.parametrize("name", REAL)
def test_api_5xx_and_latency_come_from_this_envs_access_log(stacks, name):
    stack, s = stacks[f"env-{name}"], ENVS[name].alarms
    groups = resources_of(stack, "aws_cloudwatch_log_group").items()
    [api_group] = [f"${{aws_cloudwatch_log_group.{k}.name}}" for k, g in groups if g["name"] == f"/ecs/geo-data-app-{name}/api"]
    filters = list(resources_of(stack, "aws_cloudwatch_log_metric_filter").values())
    assert len(filters) == 3 and {f["log_group_name"] for f in filters} == {api_group}
    five = alarm(stack, name, "api-5xx-rate")
    assert five["threshold"] == s.api_5xx_percent
    assert "100 * errors / requests" in next(q["expression"] for q in five["metric_query"] if q["id"] == "rate")
    latency = alarm(stack, name, "api-latency-p99")
    assert (latency["extended_statistic"], latency["threshold"]) == ("p99", s.api_latency_p99_ms)


@pytest.mark.parametrize("name", REAL)
def test_failed_deployments_of_this_service_go_to_the_topic(stacks, name):
    stack = stacks[f"env-{name}"]
    [rule] = [r for r in resources_of(stack, "aws_cloudwatch_event_rule").values() if r["name"].endswith("ecs-deployment-failed")]
    pattern = rule["event_pattern"]
    service = ref(stack, "aws_ecs_service", "id")[2:-1]  # inside jsonencode(...): a bare reference
    assert f'"resources" = [{service}]' in pattern and '"eventName" = ["SERVICE_DEPLOYMENT_FAILED"]' in pattern
    [target] = resources_of(stack, "aws_cloudwatch_event_target").values()
    assert target["arn"] == topics(stack)[f"geo-data-app-{name}-alarms"][0]


def test_alarms_follow_thresholds_and_subscribers_written_in_the_env_file(tmp_path):
    from tests.synth import synth_envs

    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    text = (ROOT / "envs" / "staging.toml").read_text()
    text += '\n[alarms]\nemails = ["oncall@example.com"]\nunhealthy_targets = 2\ncdn_5xx_percent = 12.5\naurora_capacity_percent = 50\n'
    (env_dir / "staging.toml").write_text(text)
    stack = synth_envs(tmp_path / "out", env_dir)["env-staging"]
    assert alarm(stack, "staging", "unhealthy-targets")["threshold"] == 2
    assert alarm(stack, "staging", "cdn-5xx-rate")["threshold"] == 12.5
    assert alarm(stack, "staging", "aurora-capacity-at-max")["threshold"] == ENVS["staging"].database.max_capacity_acu / 2
    assert {s["endpoint"] for s in resources_of(stack, "aws_sns_topic_subscription").values()} == {"oncall@example.com"}


# ---- the access log the API alarms read ------------------------------------------------------


def _access_log_format() -> str:
    tree = ast.parse((ROOT / "backend" / "geoapi" / "gunicorn_conf.py").read_text())
    [value] = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "access_log_format"]
    return value


def test_gunicorns_access_line_has_the_fields_the_metric_filters_name():
    """A real gunicorn access line, split the way CloudWatch splits space-delimited events."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger, SafeAtoms

    environ = {
        "REMOTE_ADDR": "10.0.1.7",
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/collections/x/items?limit=10",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": "curl/8.5 (x86_64)",
    }
    resp = SimpleNamespace(status="503 SERVICE UNAVAILABLE", sent=42, headers=[])
    atoms = Logger(Config()).atoms(resp, SimpleNamespace(headers=[]), environ, timedelta(seconds=1, microseconds=234_000))
    line = _access_log_format() % SafeAtoms(atoms)
    fields = re.findall(r'\[[^\]]*\]|"[^"]*"|\S+', line)
    names = [f.strip() for f in ACCESS_LOG_FIELDS.split(",")] + ["duration_ms"]
    parsed = dict(zip(names, fields, strict=True))
    assert (parsed["status"], parsed["method"], parsed["duration_ms"]) == ("503", "POST", "1234")
    assert parsed["request"] == '"POST /api/collections/x/items?limit=10 HTTP/1.1"'


# ---- DNS and certificates --------------------------------------------------------------------

ZONE = "Z0123456789ABCDEFGHIJ"


def _rid(stack: dict, rtype: str, path_end: str) -> str:
    [found] = [k for k, r in resources_of(stack, rtype).items() if r["//"]["metadata"]["path"].endswith(path_end)]
    return found


@pytest.fixture(scope="module")
def zoned_staging(tmp_path_factory) -> dict:
    """env-staging synthesized with ``[dns] hosted_zone_id``."""
    from tests.synth import synth_envs

    base = tmp_path_factory.mktemp("zoned")
    (base / "envs").mkdir()
    text = (ROOT / "envs" / "staging.toml").read_text().replace("\n[site]\n", f'\n[dns]\nhosted_zone_id = "{ZONE}"\n\n[site]\n')
    # with a zone the certificates are the stack's to issue: the file names none
    text, removed = re.subn(r"^certificate_arn = .*\n|, certificate_arn = \"[^\"]*\"", "", text, flags=re.MULTILINE)
    assert removed == 2
    (base / "envs" / "staging.toml").write_text(text)
    return synth_envs(base / "out", base / "envs")["env-staging"]


@pytest.mark.parametrize("name", REAL)
def test_without_a_zone_the_dns_records_output_names_each_record_to_create(stacks, name):
    stack, env = stacks[f"env-{name}"], ENVS[name]
    assert env.dns.hosted_zone_id is None
    assert stack["output"]["dns_records"]["value"] == [
        {"name": env.site.cname, "type": "CNAME", "value": ref(stack, "aws_cloudfront_distribution", "domain_name")},
        {"name": env.api.origin_tls.domain, "type": "CNAME", "value": ref(stack, "aws_lb", "dns_name")},
    ]
    for rtype in ("aws_route53_record", "aws_acm_certificate", "aws_acm_certificate_validation"):
        assert not resources_of(stack, rtype), rtype
    # the env file's own certificates are the ones in use
    assert only(stack, "aws_cloudfront_distribution")["viewer_certificate"]["acm_certificate_arn"] == env.site.certificate_arn
    assert only(stack, "aws_lb_listener")["certificate_arn"] == env.api.origin_tls.certificate_arn


def test_an_env_without_names_needs_no_dns_record(stacks):
    assert ENVS["local"].site.cname is None and ENVS["local"].api.origin_tls is None
    assert stacks["env-local"]["output"]["dns_records"]["value"] == []


def test_with_a_zone_the_names_are_aliases_to_cloudfront_and_the_load_balancer(zoned_staging):
    stack, env = zoned_staging, ENVS["staging"]
    records = resources_of(stack, "aws_route53_record")
    site, origin = (
        records[_rid(stack, "aws_route53_record", "dns/site-alias")],
        records[_rid(stack, "aws_route53_record", "dns/api-origin-alias")],
    )
    assert (site["zone_id"], site["name"], site["type"]) == (ZONE, env.site.cname, "A")
    assert site["alias"] == {
        "name": ref(stack, "aws_cloudfront_distribution", "domain_name"),
        "zone_id": ref(stack, "aws_cloudfront_distribution", "hosted_zone_id"),
        "evaluate_target_health": False,
    }
    assert (origin["zone_id"], origin["name"], origin["type"]) == (ZONE, env.api.origin_tls.domain, "A")
    assert origin["alias"]["name"] == ref(stack, "aws_lb", "dns_name") and origin["alias"]["zone_id"] == ref(stack, "aws_lb", "zone_id")


@pytest.mark.parametrize(
    ("cert", "domain", "provider"),
    [("site", "staging.geoapp.example.com", "aws.edge"), ("api-origin", "api-origin.staging.geoapp.example.com", None)],
)
def test_with_a_zone_each_certificate_is_validated_by_its_record_and_then_used(zoned_staging, cert, domain, provider):
    stack = zoned_staging
    cert_id = _rid(stack, "aws_acm_certificate", f"dns/{cert}-certificate")
    certificate = resources_of(stack, "aws_acm_certificate")[cert_id]
    assert (certificate["domain_name"], certificate["validation_method"], certificate.get("provider")) == (domain, "DNS", provider)
    record_id = _rid(stack, "aws_route53_record", f"dns/{cert}-validation")
    record = resources_of(stack, "aws_route53_record")[record_id]
    option = f"tolist(aws_acm_certificate.{cert_id}.domain_validation_options).0"
    assert (record["zone_id"], record["name"], record["type"], record["records"]) == (
        ZONE,
        f"${{{option}.resource_record_name}}",
        f"${{{option}.resource_record_type}}",
        [f"${{{option}.resource_record_value}}"],
    )
    validation_id = _rid(stack, "aws_acm_certificate_validation", f"dns/{cert}-validated")
    validation = resources_of(stack, "aws_acm_certificate_validation")[validation_id]
    assert validation["certificate_arn"] == f"${{aws_acm_certificate.{cert_id}.arn}}"
    assert validation["validation_record_fqdns"] == [f"${{aws_route53_record.{record_id}.fqdn}}"]
    assert validation.get("provider") == provider  # CloudFront's certificate lives in us-east-1
    validated = f"${{aws_acm_certificate_validation.{validation_id}.certificate_arn}}"
    if cert == "site":
        assert only(stack, "aws_cloudfront_distribution")["viewer_certificate"]["acm_certificate_arn"] == validated
    else:
        assert only(stack, "aws_lb_listener")["certificate_arn"] == validated
    listed = {(r["name"], r["type"], r["value"]) for r in stack["output"]["dns_records"]["value"]}
    assert (record["name"], record["type"], record["records"][0]) in listed


def test_the_zoned_stack_passes_terraform_validate(zoned_staging, terraform_validate):
    doc = {k: v for k, v in zoned_staging.items() if k != "terraform"} | {
        "terraform": {"required_providers": zoned_staging["terraform"]["required_providers"]}
    }
    assert "The configuration is valid" in terraform_validate(doc)


def test_ci_may_issue_the_envs_certificates_and_change_records_of_its_zone_only(tmp_path):
    """With ``[dns] hosted_zone_id`` the deploy role may change that zone's records and issue
    certificates tagged for the environment; without a zone it may change no record at all."""
    from environment.config import parse_environment
    from environment.names import name_prefix
    from modules.ci import CiEnvironment, deploy_policy

    text = (ROOT / "envs" / "staging.toml").read_text()
    zoned = parse_environment(ROOT / "envs" / "staging.toml", text.replace("\n[site]\n", f'\n[dns]\nhosted_zone_id = "{ZONE}"\n\n[site]\n'))
    plain = ENVS["staging"]

    def statements(config):
        env = CiEnvironment.from_config(config, name_prefix=name_prefix(config))
        policy = deploy_policy(
            env, partition="aws", account="210987654321", role_name_prefix="geoapp-ci", boundary_arn="arn:aws:iam::210987654321:policy/b"
        )
        return policy["Statement"]

    def granting(stmts, action):
        return [
            s
            for s in stmts
            if s["Effect"] == "Allow" and action in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
        ]

    (records,) = granting(statements(zoned), "route53:ChangeResourceRecordSets")
    assert records["Resource"] == f"arn:aws:route53:::hostedzone/{ZONE}"
    assert not granting(statements(plain), "route53:ChangeResourceRecordSets")
    (request,) = granting(statements(zoned), "acm:RequestCertificate")
    assert request["Condition"]["StringEquals"]["aws:RequestTag/Environment"] == zoned.tags.Environment
