"""ops.release: tag bump in the env file, rollout wait on moto server, recording on main with real git."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from ops import release
from ops.stack_outputs import AwsTarget, OpsError
from tests.synth import ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLUSTER = "geo-data-app-opstest"
SERVICE = "api"
REPO_URL = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/geoapp/api-staging"


# ---- set-tag -----------------------------------------------------------------


@pytest.fixture
def envs(tmp_path: Path) -> Path:
    folder = tmp_path / "envs"
    folder.mkdir()
    shutil.copy(ROOT / "envs" / "staging.toml", folder / "staging.toml")
    return folder


def test_set_tag_changes_only_the_tag_and_keeps_comments(envs):
    before = (envs / "staging.toml").read_text().splitlines()

    old, new = release.set_image_tag("staging", "4f2a9c1b3d5e7f90", envs)

    after = (envs / "staging.toml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and "4f2a9c1b3d5e7f90" in changed[0][1] and old in changed[0][0]
    assert new == "4f2a9c1b3d5e7f90"
    from environment.config import load_environments

    (config,) = load_environments([envs / "staging.toml"])
    assert config.api.image.tag == "4f2a9c1b3d5e7f90"


def test_invalid_tag_is_refused_and_the_file_is_untouched(envs):
    before = (envs / "staging.toml").read_bytes()
    with pytest.raises(OpsError, match="would make .* invalid"):
        release.set_image_tag("staging", "bad tag!", envs)
    assert (envs / "staging.toml").read_bytes() == before


def test_set_tag_cli_unknown_env(envs, capsys):
    assert release.main(["set-tag", "nope", "abc", "--envs-dir", str(envs)]) == 1
    assert "no environment 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("image", "tag"),
    [(f"{REPO_URL}:abc123", "abc123"), ("localhost:5000/api:v1", "v1"), ("localhost:5000/api", ""), (f"{REPO_URL}@sha256:00", "")],
)
def test_image_tag(image, tag):
    assert release.image_tag(image) == tag


# ---- wait (moto) ---------------------------------------------------------------


@pytest.fixture
def ecs(aws: str, monkeypatch):
    """A cluster with task definition revisions for :old and :new; services are made per test."""
    monkeypatch.setattr(release.time, "sleep", lambda _: None)
    client = boto3.client("ecs", region_name=REGION, endpoint_url=aws)
    client.create_cluster(clusterName=CLUSTER)
    arns = {}
    for tag in ("old", "new"):
        arns[tag] = client.register_task_definition(
            family="geo-data-app-opstest-api",
            containerDefinitions=[{"name": "api", "image": f"{REPO_URL}:{tag}", "memory": 512, "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
    return client, arns, aws


def make_service(ecs, revision: str, running: int, monkeypatch) -> None:
    client, arns, _ = ecs
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))  # read by moto (in this process) when the service is made
    client.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=arns[revision], desiredCount=2)


def wait(ecs, tag: str, timeout: float = 5) -> list[str]:
    lines: list[str] = []
    release.wait_for_rollout(AwsTarget(REGION, ecs[2]), CLUSTER, SERVICE, tag, poll_seconds=0, timeout_seconds=timeout, log=lines.append)
    return lines


def test_wait_succeeds_when_all_tasks_run_the_new_tag(ecs, monkeypatch):
    make_service(ecs, "new", running=2, monkeypatch=monkeypatch)
    lines = wait(ecs, "new")
    assert lines[-1] == "api: stable on :new"
    assert "COMPLETED: 2/2 tasks on :new, 1 deployment(s)" in lines[0]


def test_wait_fails_when_the_circuit_breaker_rolled_back(ecs, monkeypatch):
    """The service is back on :old and the :new deployment is FAILED (moto's backend plays ECS here)."""
    from moto.backends import get_backend

    make_service(ecs, "old", running=2, monkeypatch=monkeypatch)
    service = get_backend("ecs")[ACCOUNT][REGION].services[f"{CLUSTER}:{SERVICE}"]
    service.deployments.append(
        {
            **service.deployments[0],
            "id": "ecs-svc/failed",
            "status": "ACTIVE",
            "taskDefinition": ecs[1]["new"],
            "rolloutState": "FAILED",
            "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
        }
    )
    with pytest.raises(OpsError, match=r"circuit breaker rolled the deployment back: the service runs .*:old, not :new"):
        wait(ecs, "new")


def test_wait_fails_at_once_when_the_service_was_never_pointed_at_the_tag(ecs, monkeypatch):
    make_service(ecs, "old", running=2, monkeypatch=monkeypatch)
    with pytest.raises(OpsError, match="was `make deploy` run after `set-tag`"):
        wait(ecs, "new")


def test_wait_times_out_while_tasks_are_not_running(ecs, monkeypatch):
    make_service(ecs, "new", running=0, monkeypatch=monkeypatch)
    with pytest.raises(OpsError, match=r"not stable on :new after 0 s \(IN_PROGRESS: 0/2 tasks"):
        wait(ecs, "new", timeout=0)


# ---- record (real git) -----------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repos(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """A bare 'origin' holding envs/staging.toml, and two clones: the CI job's and a colleague's (no git identity, like CI)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    origin = tmp_path / "origin.git"
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    (seed / "envs").mkdir()
    shutil.copy(ROOT / "envs" / "staging.toml", seed / "envs" / "staging.toml")
    (seed / "README.md").write_text("readme\n")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "initial")
    git(seed, "push", "-q", "origin", "HEAD:main")
    clones = {"origin": origin}
    for name in ("ci", "colleague"):
        git(tmp_path, "clone", "-q", str(origin), str(tmp_path / name))
        clones[name] = tmp_path / name
    return clones


def colleague_pushes(repos, path: str, old: str, new: str) -> None:
    repo = repos["colleague"]
    file = repo / path
    file.write_text(file.read_text().replace(old, new))
    git(repo, "-c", "user.name=c", "-c", "user.email=c@example.com", "commit", "-q", "-am", "colleague")
    git(repo, "push", "-q", "origin", "HEAD:main")


def test_record_rebases_over_a_concurrent_commit_and_pushes(repos):
    ci = repos["ci"]
    colleague_pushes(repos, "README.md", "readme", "readme v2")  # lands on main after the CI job checked out
    release.set_image_tag("staging", "4f2a9c1b", ci / "envs")

    assert release.record_release("staging", "4f2a9c1b", repo=ci, envs_dir=ci / "envs", log=lambda _: None)

    log = git(repos["origin"], "log", "--format=%s|%an", "main").splitlines()
    assert log[0] == f"release(staging): api image 4f2a9c1b|{release.BOT_NAME}"
    assert log[1].startswith("colleague|")
    assert 'tag = "4f2a9c1b"' in git(repos["origin"], "show", "main:envs/staging.toml")


def test_record_refuses_to_overwrite_a_conflicting_change(repos):
    ci = repos["ci"]
    original_tag = re.search(r'tag = "[^"]+"', (ci / "envs" / "staging.toml").read_text()).group(0)
    colleague_pushes(repos, "envs/staging.toml", original_tag, 'tag = "hotfix1"')
    release.set_image_tag("staging", "4f2a9c1b", ci / "envs")

    with pytest.raises(OpsError, match="conflicts with this release; record it by hand"):
        release.record_release("staging", "4f2a9c1b", repo=ci, envs_dir=ci / "envs", attempts=2, log=lambda _: None)

    assert 'tag = "hotfix1"' in git(repos["origin"], "show", "main:envs/staging.toml")
    assert git(ci, "status", "--porcelain") == "", "no rebase left half-done"


def test_record_without_a_change_does_nothing(repos):
    ci = repos["ci"]
    assert release.record_release("staging", "x", repo=ci, envs_dir=ci / "envs", log=lambda _: None) is False
    assert git(repos["origin"], "rev-list", "--count", "main") == "1"
