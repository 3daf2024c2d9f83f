"""ops.data_load on a real moto server: the one-off tasks it starts, how it waits, what it reports.

moto runs no containers: a task it starts walks RUNNING -> ... -> STOPPED over successive
DescribeTasks calls and its container reports exit code 0. To play a failing container, a test
sets the exit code on moto's in-process task (the server runs in this process) right after
RunTask, and writes the log lines that container would have written.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from ops import data_load
from ops.stack_outputs import AwsTarget

REGION = "us-east-1"
TEST_ENV = "opstest"
ACCOUNT = "123456789012"
CLUSTER = "geo-data-app-opstest"
ADMIN_FAMILY = "geo-data-app-opstest-db-admin"
FAMILY = "geo-data-app-opstest-db-loader"
FAMILIES = data_load.TaskFamilies(admin=ADMIN_FAMILY, loader=FAMILY)
LOG_GROUP = "/ecs/geo-data-app-opstest/api"


@pytest.fixture
def service(aws: str, write_outputs, tmp_path) -> dict:
    """Cluster, the admin and loader task definitions (two revisions each), subnets and security group, made with boto3."""
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="api-tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=aws)
    ecs.create_cluster(clusterName=CLUSTER)
    boto3.client("logs", region_name=REGION, endpoint_url=aws).create_log_group(logGroupName=LOG_GROUP)
    latest = {}
    for family, tag in ((f, t) for f in (ADMIN_FAMILY, FAMILY) for t in ("old", "new")):
        latest[family] = ecs.register_task_definition(
            family=family,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "api",
                    "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/geoapp/api:{tag}",
                    "essential": True,
                    "memory": 512,  # moto's RunTask needs a container-level memory (AWS does not for Fargate)
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {"awslogs-group": LOG_GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "api"},
                    },
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
    outputs = write_outputs(
        tmp_path / "outputs.json",
        {
            "ecs_cluster_name": CLUSTER,
            "task_definition_family": "geo-data-app-opstest-api",
            "db_admin_task_definition_family": ADMIN_FAMILY,
            "db_loader_task_definition_family": FAMILY,
            "task_subnet_ids": subnets,
            "task_security_group_id": sg,
        },
    )
    return {"ecs": ecs, "subnets": subnets, "sg": sg, "latest_arn": latest, "outputs": outputs, "endpoint": aws}


def started_tasks(ecs) -> list[dict]:
    arns = ecs.list_tasks(cluster=CLUSTER, startedBy=data_load.STARTED_BY)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def cli(service, envs_dir, *extra: str) -> int:
    return data_load.main([TEST_ENV, "--outputs-file", str(service["outputs"]), "--envs-dir", str(envs_dir), *extra])


@pytest.fixture(autouse=True)
def no_wait(monkeypatch):
    """moto needs no real waiting: make the CLI path poll without sleeping."""
    monkeypatch.setattr(data_load.time, "sleep", lambda _: None)


def test_users_then_migrate_then_seed_run_as_private_fargate_tasks_of_the_latest_revisions(service, envs_dir, capsys):
    code = cli(service, envs_dir, "--seed", "s3://geoapp-seed/world.geojson")

    out = capsys.readouterr().out
    assert code == 0, out
    tasks = sorted(started_tasks(service["ecs"]), key=lambda t: t["overrides"]["containerOverrides"][0]["command"][3])
    assert [t["overrides"]["containerOverrides"] for t in tasks] == [
        [{"name": "api", "command": ["python", "-m", "geoapi", "migrate"]}],
        [{"name": "api", "command": ["python", "-m", "geoapi", "seed", "s3://geoapp-seed/world.geojson"]}],
        [{"name": "api", "command": ["python", "-m", "geoapi", "users", "ensure"]}],
    ]
    # the users step runs the admin task (the one reader of the master secret); migrate and seed the loader's
    assert [t["taskDefinitionArn"] for t in tasks] == [service["latest_arn"][f] for f in (FAMILY, FAMILY, ADMIN_FAMILY)]
    assert out.index("users: started") < out.index("migrate: started") < out.index("seed: started"), out
    for task in tasks:
        assert task["launchType"] == "FARGATE"
        assert task["lastStatus"] == "STOPPED"
        eni = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert eni["subnetId"] in service["subnets"]
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=service["endpoint"])
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "description", "Values": ["moto ECS"]}])["NetworkInterfaces"]
    assert enis and all([g["GroupId"] for g in eni["Groups"]] == [service["sg"]] for eni in enis)
    assert all("Association" not in eni for eni in enis), "no public IP"
    assert "users: exit code 0" in out and "migrate: exit code 0" in out and "seed: exit code 0" in out and "data load done" in out


def test_run_task_request_is_private_and_names_the_container(service):
    """What AWS is asked for (moto does not echo networkConfiguration back, so read the request)."""
    sent = []
    target = AwsTarget(REGION, service["endpoint"])
    original = target.client

    def client(name):
        c = original(name)
        c.meta.events.register("before-parameter-build.ecs.RunTask", lambda params, **_: sent.append(json.loads(json.dumps(params))))
        return c

    object.__setattr__(target, "client", client)
    placement = data_load.TaskPlacement(CLUSTER, service["subnets"], service["sg"])

    data_load.load_data(target, placement, FAMILIES, poll_seconds=0, log=lambda _: None)

    assert len(sent) == 2  # users, migrate
    for request in sent:
        assert request["networkConfiguration"] == {
            "awsvpcConfiguration": {"subnets": service["subnets"], "securityGroups": [service["sg"]], "assignPublicIp": "DISABLED"}
        }
        assert request["launchType"] == "FARGATE" and request["startedBy"] == data_load.STARTED_BY


def test_failed_migration_reports_exit_code_and_log_and_skips_seed(service, envs_dir, capsys):
    from moto.backends import get_backend

    ecs_backend = get_backend("ecs")[ACCOUNT][REGION]
    logs = boto3.client("logs", region_name=REGION, endpoint_url=service["endpoint"])

    def container_fails(parsed, **_):
        if parsed["tasks"][0]["overrides"]["containerOverrides"][0]["command"][3] != "migrate":
            return
        arn = parsed["tasks"][0]["taskArn"]
        task = ecs_backend.tasks[CLUSTER][arn]
        task.containers[0].exitCode = 3
        task.stopped_reason = "Essential container in task exited"
        stream = f"api/api/{arn.rsplit('/', 1)[-1]}"
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        logs.put_log_events(
            logGroupName=LOG_GROUP,
            logStreamName=stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "alembic: table exists"}],
        )

    original = AwsTarget.client

    def client(self, name):
        c = original(self, name)
        c.meta.events.register("after-call.ecs.RunTask", container_fails)
        return c

    AwsTarget.client = client
    try:
        code = cli(service, envs_dir, "--seed", "s3://geoapp-seed/world.geojson")
    finally:
        AwsTarget.client = original

    captured = capsys.readouterr()
    assert code == 1
    assert "migrate: exit code 3 FAILED (Essential container in task exited)" in captured.out
    assert "| alembic: table exists" in captured.out
    assert "data load failed at migrate (exit code 3)" in captured.err
    assert len(started_tasks(service["ecs"])) == 2, "seed must not run after a failed migration (users, migrate ran)"


def test_task_that_never_stops_times_out_and_is_left_running(service, capsys):
    placement = data_load.TaskPlacement(CLUSTER, service["subnets"], service["sg"])
    lines = []
    with pytest.raises(data_load.OpsError, match=r"is still \w+ after 0 s; it was left running"):
        data_load.run_one_off(
            AwsTarget(REGION, service["endpoint"]),
            placement,
            FAMILY,
            "migrate",
            ["true"],
            poll_seconds=0,
            timeout_seconds=0,
            log=lines.append,
        )
    (task,) = started_tasks(service["ecs"])
    assert task["desiredStatus"] == "RUNNING"


@pytest.mark.parametrize("source", ["http://example.com/x.sql", "world.geojson", "s3://Bad_Bucket/x", "s3://bucket"])
def test_bad_seed_source_is_refused_before_any_task_starts(service, envs_dir, capsys, source):
    assert cli(service, envs_dir, "--seed", source) == 1
    assert "is neither an s3://bucket/key URL nor an absolute path" in capsys.readouterr().err
    assert started_tasks(service["ecs"]) == []


def test_unknown_family_is_a_clear_error(service, envs_dir, write_outputs, tmp_path, capsys):
    outputs = json.loads(service["outputs"].read_text())
    outputs["db_admin_task_definition_family"]["value"] = "no-such-family"
    service["outputs"].write_text(json.dumps(outputs))
    assert cli(service, envs_dir) == 1
    assert "task definition family 'no-such-family'" in capsys.readouterr().err


def test_aws_errors_are_one_line_not_a_traceback(service, envs_dir, capsys):
    outputs = json.loads(service["outputs"].read_text())
    outputs["ecs_cluster_name"]["value"] = "no-such-cluster"
    service["outputs"].write_text(json.dumps(outputs))
    assert cli(service, envs_dir) == 1
    err = capsys.readouterr().err
    assert err.startswith("python -m ops.data_load: AWS error: ") and "Traceback" not in err and len(err.splitlines()) == 1
