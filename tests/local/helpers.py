"""Helpers for the emulator tests: env-file copies, boto3 clients, terraform in a stack dir."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

import localaws
from environment.config import EnvironmentConfig, parse_environment

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ENV = ROOT / "envs" / "local.toml"


def toml_value(value: Any) -> str:
    """A TOML literal for a string, a list of strings or a table of strings (inline)."""
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def write_env_copy(dest_dir: Path, *, port: int, database_extra: Mapping[str, Any] | None = None) -> tuple[Path, EnvironmentConfig]:
    """Copy envs/local.toml into ``dest_dir`` with the emulator on ``port``; validate it.

    ``database_extra`` adds or replaces keys of ``[database]`` (strings, lists, tables of strings).
    """
    text = LOCAL_ENV.read_text(encoding="utf-8")
    text, count = re.subn(r'^(endpoint\s*=\s*")http://127\.0\.0\.1:\d+(")', rf"\g<1>http://127.0.0.1:{port}\g<2>", text, flags=re.MULTILINE)
    assert count == 1, "envs/local.toml has no [aws] endpoint line to rewrite"
    for key, value in (database_extra or {}).items():
        text = re.sub(rf"^{key}\s*=.*\n", "", text, flags=re.MULTILINE)
        text = text.replace("[database]\n", f"[database]\n{key} = {toml_value(value)}\n", 1)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / "local.toml"
    path.write_text(text, encoding="utf-8")
    config = parse_environment(path, text)
    assert str(config.aws.endpoint).rstrip("/") == f"http://127.0.0.1:{port}"
    return path, config


def synth_in_process(target: Any, out: Path) -> float:
    """Synthesize ``target``'s env dir into ``out`` in this process, as ``cdktf synth`` would, and
    mark it as a synth of the current inputs (``ops.local.synth`` then skips it); return seconds."""
    from ops import local
    from tests.synth import synth_envs

    started = time.monotonic()
    synth_envs(out, target.env_file.parent)
    (out / ".synth-inputs").write_text(local.synth_inputs_digest(target))
    return time.monotonic() - started


ALONGSIDE: dict[str, Callable[[EnvLocal], Any]] = {}
"""Test name -> the long, Terraform-bound part of that test, started in a thread as soon as the
shared env-local is up (see :func:`alongside_the_read_only_tests`)."""


def alongside_the_read_only_tests(test_name: str) -> Callable[[Callable[[EnvLocal], Any]], Callable[[EnvLocal], Any]]:
    """Run the decorated ``job(env_local)`` in a background thread from the moment the shared deploy
    is up, while the read-only tests run (they mostly wait on the data plane), instead of after them.
    The jobs run one after the other, in the order their tests run (the drift checks, then the
    restore drill's first apply). The test ``test_name`` takes its result with
    ``env_local.alongside(job)``; it must carry a ``mutates_env_local`` order below every test that
    runs Terraform itself, so that the job has ended before. Only for Terraform work whose effects
    the read-only tests cannot see: a plan, an outside change undone at once, a second cluster
    beside the served one (they read the served cluster by its endpoint, and the data plane
    follows a deploy only when told to)."""

    def register(job: Callable[[EnvLocal], Any]) -> Callable[[EnvLocal], Any]:
        ALONGSIDE[test_name] = job
        return job

    return register


@dataclass
class EnvLocal:
    """env-local deployed on a fresh emulator: what the session fixture ``env_local`` yields.

    ``deployment`` is whatever ``ops.local.up`` returned (outputs, timings, and what the
    data plane adds); ``outputs`` is its env-stack outputs; ``client("s3")`` is a boto3
    client on the emulator; ``cmd_env`` runs terraform/cdktf against it; ``figures`` are
    wall times printed at the end of the session.
    """

    target: Any  # ops.local.Target
    config: EnvironmentConfig
    env_dir: Path
    out: Path
    state_dir: Path
    cmd_env: dict[str, str]
    deployment: Any  # ops.local.Deployment
    outputs: dict[str, Any]
    client: Callable[[str], Any]
    figures: dict[str, float] = field(default_factory=dict)
    _jobs: dict[Callable[..., Any], Future] = field(default_factory=dict)

    def start_alongside(self, tests: Iterable[str], pool: ThreadPoolExecutor) -> None:
        """Start the registered job of every test in ``tests`` (the session's selected test names, in
        the order they run: the jobs run one after the other in that order, in one thread)."""
        for name in tests:
            if (job := ALONGSIDE.get(name)) is not None and job not in self._jobs:
                self._jobs[job] = pool.submit(self._timed, job)

    def _timed(self, job: Callable[[EnvLocal], Any]) -> Any:
        started = time.monotonic()
        try:
            return job(self)
        finally:
            self.figures[f"{job.__name__}, alongside (s)"] = time.monotonic() - started

    def alongside(self, job: Callable[[EnvLocal], Any]) -> Any:
        """The result of ``job`` (started with the deploy, or now if it was not), or what it raised."""
        future = self._jobs.get(job)
        return future.result() if future is not None else job(self)

    def synth(self) -> float:
        """Synthesize this env dir into ``out`` in this process, as ``cdktf synth`` would (the jsii
        runtime starts once per pytest process instead of once per CLI run), and mark it as a synth
        of the current inputs, so that ``ops.local`` does not synthesize it again."""
        return synth_in_process(self.target, self.out)

    @property
    def stack_dir(self) -> Path:
        """The synthesized env stack's directory (run ``terraform`` here with ``cmd_env``)."""
        return self.out / "stacks" / self.target.stack


def client_factory(endpoint: str) -> Callable[[str], Any]:
    """``client("s3")``: one boto3 client per service on the emulator, made from a session of its
    own under a lock (boto3's sessions are not thread-safe; the clients are)."""
    session, made, lock = boto3.session.Session(), {}, threading.Lock()

    def client(service: str) -> Any:
        with lock:
            if service not in made:
                made[service] = session.client(
                    service,
                    endpoint_url=endpoint,
                    region_name=localaws.DEFAULT_REGION,
                    aws_access_key_id=localaws.DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=localaws.DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                )
            return made[service]

    return client


def terraform(args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", *args], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)


def state_of(stack_dir: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """``terraform state pull`` as JSON (serial, lineage, resources)."""
    result = terraform(["state", "pull"], stack_dir, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def resource_addresses(state: dict[str, Any]) -> set[str]:
    return {
        f"{r['type']}.{r['name']}" + (f"[{i.get('index_key')!r}]" if i.get("index_key") is not None else "")
        for r in state["resources"]
        if r["mode"] == "managed"
        for i in r["instances"]
    }


def tags_of(client: Callable[[str], Any], resource_type: str, arn: str) -> dict[str, str]:
    """Tags the emulator holds for ``arn``, asked through the owning service's own API."""
    service = arn.split(":")[2]
    if service == "application-autoscaling":
        return dict(client("application-autoscaling").list_tags_for_resource(ResourceARN=arn)["Tags"])
    if service == "budgets":
        return _pairs(client("budgets").list_tags_for_resource(ResourceARN=arn)["ResourceTags"])
    if service == "rds":
        return _pairs(client("rds").list_tags_for_resource(ResourceName=arn)["TagList"])
    if service == "ecr":
        return _pairs(client("ecr").list_tags_for_resource(resourceArn=arn)["tags"], "Key", "Value")
    if service == "iam":
        return _pairs(client("iam").list_role_tags(RoleName=arn.rsplit("/", 1)[-1])["Tags"])
    if service == "elasticloadbalancing":
        return _pairs(client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"])
    if service == "ec2":
        resource_id = arn.rsplit("/", 1)[-1]
        found = client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [resource_id]}])["Tags"]
        return _pairs(found)
    if service == "wafv2":
        info = client("wafv2").list_tags_for_resource(ResourceARN=arn)["TagInfoForResource"]
        return _pairs(info.get("TagList", []))
    if service == "cloudfront":
        return _pairs(client("cloudfront").list_tags_for_resource(Resource=arn)["Tags"]["Items"])
    if service == "logs":
        return dict(client("logs").list_tags_for_resource(resourceArn=arn.removesuffix(":*"))["tags"])
    if service == "ecs":
        return _pairs(client("ecs").list_tags_for_resource(resourceArn=arn)["tags"], "key", "value")
    if service == "kms":
        return _pairs(client("kms").list_resource_tags(KeyId=arn)["Tags"], "TagKey", "TagValue")
    if service == "secretsmanager":
        return _pairs(client("secretsmanager").describe_secret(SecretId=arn).get("Tags", []))
    if service == "cloudwatch":
        return _pairs(client("cloudwatch").list_tags_for_resource(ResourceARN=arn)["Tags"])
    if service == "s3":
        return _pairs(client("s3").get_bucket_tagging(Bucket=arn.rsplit(":", 1)[-1])["TagSet"])
    if service == "dynamodb":
        return _pairs(client("dynamodb").list_tags_of_resource(ResourceArn=arn)["Tags"])
    if service == "sns":
        return _pairs(client("sns").list_tags_for_resource(ResourceArn=arn)["Tags"])
    if service == "events":
        return _pairs(client("events").list_tags_for_resource(ResourceARN=arn)["Tags"])
    raise AssertionError(f"no tag reader for {resource_type} ({arn})")


def _pairs(items: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item[value] for item in items}
