"""ops.loadtest: the recommendation rules, the traffic shape, and a short real run against gunicorn + MariaDB."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.loadtest.geometry import extent_of, viewport
from ops.loadtest.metrics import Usage
from ops.loadtest.profiles import DEFAULT_USERS, parse_profiles
from ops.loadtest.report import ProfileResult, markdown, recommend
from tests.backend.conftest import _make_database
from tests.backend.conftest import jwks as jwks  # noqa: PLC0414 - fixture reused from the backend tests
from tests.backend.conftest import mariadb as mariadb  # noqa: PLC0414 - fixture reused from the backend tests
from tests.backend.serving import RunningApi, gunicorn_api
from tests.synth import ROOT

BACKEND = ROOT / "backend"


def result(
    name: str,
    *,
    rps: float,
    p95: float,
    cpu: float | None,
    failures: int = 0,
    memory_mib: float | None = 300,
    tasks: int = 1,
    generator: float = 20,
) -> ProfileResult:
    requests_ = int(rps * 60)
    return ProfileResult(
        name=name,
        users=10,
        seconds=60,
        requests=requests_,
        failures=failures,
        p50_ms=p95 / 3,
        p95_ms=p95,
        p99_ms=p95 * 1.5,
        max_ms=p95 * 2,
        usage=Usage(cpu, None if cpu is None else cpu * 1.3, memory_max_mib=memory_mib),
        tasks=tasks,
        generator_cpu_percent=generator,
    )


# ---- rules ----------------------------------------------------------------------


def test_all_profiles_within_slo_gives_the_default_thresholds():
    rec = recommend(
        [result("low", rps=5, p95=40, cpu=5), result("average", rps=25, p95=60, cpu=20), result("high", rps=75, p95=120, cpu=55)],
        task_cpu=512,
        task_memory=1024,
    )
    assert (rec.scale_up_cpu_percent, rec.scale_down_cpu_percent) == (70, 30)
    # average: 20 % of 0.5 vCPU = 0.10 vCPU -> 256 units (0.25 x 0.7 = 0.175 >= 0.10)
    assert rec.task_cpu == 256 and rec.min_tasks == 1
    # memory 300 MiB x 1.5 = 450 -> 512 MiB, a valid size for 256 CPU
    assert rec.task_memory == 512
    # high peak 55 x 1.3 = 71.5 % of 0.5 vCPU = 0.36 vCPU, x 1.5 = 0.54 -> 0.54 / 0.175 -> 4 tasks
    assert rec.max_tasks == 4


def test_cpu_bound_break_sets_scale_up_below_it():
    rec = recommend(
        [result("low", rps=5, p95=40, cpu=10), result("average", rps=25, p95=90, cpu=45), result("high", rps=60, p95=900, cpu=80)],
        task_cpu=1024,
        task_memory=2048,
    )
    assert (rec.scale_up_cpu_percent, rec.scale_down_cpu_percent) == (65, 25)
    assert any("'high' broke the SLO at 80 % CPU" in n for n in rec.notes)


def test_break_at_low_cpu_is_blamed_on_something_else():
    rec = recommend(
        [result("low", rps=5, p95=40, cpu=5), result("average", rps=25, p95=700, cpu=20), result("high", rps=30, p95=2000, cpu=25)],
        task_cpu=512,
        task_memory=1024,
    )
    assert any("the limit is not the task's CPU" in n for n in rec.notes)
    assert rec.scale_up_cpu_percent == 70


def test_failures_break_the_slo_even_when_fast():
    assert not result("x", rps=10, p95=10, cpu=10, failures=60).meets(500)


def test_busy_load_generator_is_reported():
    rec = recommend([result("low", rps=5, p95=40, cpu=5, generator=95)], task_cpu=512, task_memory=1024)
    assert any("load generator" in n for n in rec.notes)


def test_without_cpu_figures_sizes_stay_as_they_are():
    rec = recommend([result("low", rps=5, p95=40, cpu=None)], task_cpu=512, task_memory=1024)
    assert (rec.task_cpu, rec.task_memory) == (512, 1024)
    assert any("CPU was not measured" in n for n in rec.notes)


def test_report_shows_current_values_next_to_recommended():
    results = [result("low", rps=5, p95=40, cpu=5)]
    text = markdown(
        results,
        recommend(results, task_cpu=512, task_memory=1024),
        target="http://x",
        cpu_source="psutil",
        slo_p95_ms=500,
        current={"cpu": 512, "scale_up_cpu_percent": 70},
    )
    assert "| cpu | 256 (now 512) |" in text and "| scale_up_cpu_percent | 70 % (now 70 %) |" in text


def test_profiles_parse():
    assert [(p.name, p.users) for p in parse_profiles(None, 60)] == list(DEFAULT_USERS.items())
    assert [(p.name, p.users) for p in parse_profiles("low=1,peak=300", 5)] == [("low", 1), ("peak", 300)]
    with pytest.raises(ValueError, match="is not name=users"):
        parse_profiles("low=0", 5)


def test_viewports_stay_valid_and_near_the_data():
    rng = random.Random(7)
    extent = extent_of({"extent": {"spatial": {"bbox": [[-10, 35, 0, 30, 60, 100]]}}})
    assert extent == (-10, 35, 30, 60)
    for around in (None, (179.9, 89.9), (5.0, 50.0)):
        for _ in range(200):
            west, south, east, north = map(float, viewport(extent, rng, around).split(","))
            assert -180 <= west < east <= 180 and -90 <= south < north <= 90
            assert east - west <= 0.25 * 40 + 1e-9
    assert extent_of({}) == (-180.0, -90.0, 180.0, 90.0)


# ---- a short real run -----------------------------------------------------------------


@pytest.fixture(scope="module")
def api(mariadb, jwks, tmp_path_factory) -> Iterator[RunningApi]:
    """gunicorn (2 workers, as in the container) on loopback, in front of a migrated and seeded MariaDB; access log on."""
    db = _make_database(mariadb)
    try:
        with gunicorn_api(database_url=db.url, jwks_url=jwks.url, log_dir=tmp_path_factory.mktemp("gunicorn"), workers=2) as running:
            yield running
    finally:
        mariadb.execute(f"DROP DATABASE `{db.name}`")


def user_sessions(log: Path) -> int:
    """How many simulated users started, as the server saw them: each asks ``GET /api/collections`` once."""
    return sum(1 for line in log.read_text().splitlines() if '"GET /api/collections HTTP/' in line)


def test_three_short_profiles_against_the_local_api(api, tmp_path):
    """Each profile runs its number of users. Counted where it cannot vary: every user lists the
    collections exactly once at start, so the server sees 2 + 4 + 8 of those (request totals
    depend on random think times and on the machine's load, so "high made more requests than
    low" is not asserted)."""
    sessions_before = user_sessions(api.log)
    report, figures = tmp_path / "report.md", tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops.loadtest",
            "--base-url",
            api.root,
            "--profiles",
            "low=2,average=4,high=8",
            "--duration",
            "3",
            "--spawn-seconds",
            "1",
            "--task-cpu",
            "512",
            "--report",
            str(report),
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(figures.read_text())
    assert [r["name"] for r in data["results"]] == ["low", "average", "high"]
    for r in data["results"]:
        assert r["requests"] > 0 and r["failures"] == 0, r
        assert "bbox" in r["endpoints"], r["endpoints"]
        assert r["usage"]["cpu_avg_percent"] is not None and r["usage"]["memory_max_mib"] > 20
        assert r["usage"]["tasks"].startswith("3 processes"), "gunicorn master + 2 workers, found from the port"
    assert [r["users"] for r in data["results"]] == [2, 4, 8]
    assert user_sessions(api.log) - sessions_before == 2 + 4 + 8, "every profile starts exactly its number of users"
    # clicks (weight 1 of 4) follow pans: over all three profiles some happen; a 3-second profile
    # with 2 users may have none by chance, so this is not asserted per profile
    assert any("feature" in r["endpoints"] for r in data["results"]), [r["endpoints"] for r in data["results"]]
    text = report.read_text()
    assert "## Recommendation" in text and "| scale_up_cpu_percent |" in text
    assert data["recommendation"]["task_cpu"] in (256, 512, 1024, 2048, 4096)


def test_needs_a_target():
    # a subprocess: locust patches the standard library for gevent and must not do that to pytest's process
    done = subprocess.run(
        [sys.executable, "-m", "ops.loadtest", "--profiles", "low=1"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and "give --env ENV" in done.stderr


def test_ecs_cpu_comes_from_cloudwatch_for_the_profile_window(aws, monkeypatch):
    """The --env path on moto: ECS service task count and AWS/ECS CPU/memory points inside the window only."""
    from datetime import UTC, datetime, timedelta

    import boto3

    from ops.loadtest.metrics import EcsServiceMetrics
    from ops.stack_outputs import AwsTarget

    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    ecs = boto3.client("ecs", region_name="us-east-1", endpoint_url=aws)
    ecs.create_cluster(clusterName="c")
    arn = ecs.register_task_definition(family="f", containerDefinitions=[{"name": "api", "image": "x:1", "memory": 512}])["taskDefinition"][
        "taskDefinitionArn"
    ]
    ecs.create_service(cluster="c", serviceName="api", taskDefinition=arn, desiredCount=2)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=aws)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dims = [{"Name": "ClusterName", "Value": "c"}, {"Name": "ServiceName", "Value": "api"}]
    for minutes_ago, cpu in ((20, 99.0), (4, 40.0), (3, 60.0), (2, 50.0)):  # the 20-minutes-old point is outside the window
        for name, value in (("CPUUtilization", cpu), ("MemoryUtilization", cpu / 2)):
            cloudwatch.put_metric_data(
                Namespace="AWS/ECS",
                MetricData=[
                    {
                        "MetricName": name,
                        "Dimensions": dims,
                        "Timestamp": now - timedelta(minutes=minutes_ago),
                        "Value": value,
                        "Unit": "Percent",
                    }
                ],
            )
    metrics = EcsServiceMetrics(AwsTarget("us-east-1", aws), "c", "api")

    tasks = metrics.running_tasks()
    usage = metrics.usage((now - timedelta(minutes=5, seconds=30)).timestamp(), (now - timedelta(minutes=1)).timestamp(), [tasks])

    assert tasks == 2 and usage.tasks == "2 tasks"
    assert usage.cpu_avg_percent == pytest.approx(50.0) and usage.cpu_max_percent == 60.0
    assert usage.memory_max_percent == 30.0
