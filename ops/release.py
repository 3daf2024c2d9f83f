"""Roll a new API image out *through the stack*: the env file's image tag is the source of truth.

A release of image tag ``TAG`` (CI uses the git SHA) to environment ``ENV`` is, in order:

1. ``docker push`` of ``<ecr_repository_url>:TAG`` (the repository's tags are immutable);
2. ``python -m ops.release set-tag ENV TAG``: rewrite ``[api] image.tag`` in ``envs/ENV.toml``
   (comments and layout kept; the file is re-validated before it is written);
3. ``make deploy ENV=ENV``: Terraform registers a task definition revision with that image and
   points the service at it. ECS replaces the tasks (rolling, 100 % minimum healthy), and the
   deployment circuit breaker rolls back to the previous revision if the new tasks fail;
4. ``python -m ops.release wait ENV TAG``: succeeds once the service's only deployment runs
   ``TAG`` with all its tasks; fails when the circuit breaker rolled it back, or at the timeout;
5. ``python -m ops.release record ENV TAG``: commit the env file to ``main`` and push it
   (rebasing over commits that landed meanwhile).

So ``main`` only ever names tags that ran stable, and "which image runs where" is answered by
``git log envs/``. If step 3 or 4 fails nothing is committed: the service is back on the previous
image (circuit breaker) and ``main`` still names it; the next deploy from ``main`` returns the
Terraform state to it, and until then the nightly drift check reports the difference.
Nothing here edits the ECS service directly.

Defaults: ``wait`` polls every 15 s for at most 20 minutes; ``record`` pushes to ``origin main``
with up to 5 attempts and commits as ``github-actions[bot]`` when git has no identity set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ops.stack_outputs import (
    ENVS_DIR,
    PROJECT_ROOT,
    AwsTarget,
    OpsError,
    add_env_argument,
    add_env_arguments,
    aws_target,
    read_outputs,
    run_cli,
)

POLL_SECONDS = 15.0
TIMEOUT_SECONDS = 1200.0
PUSH_ATTEMPTS = 5
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


# --------------------------------------------------------------------------
# 2. the env file
# --------------------------------------------------------------------------


def set_image_tag(env: str, tag: str, envs_dir: Path = ENVS_DIR) -> tuple[str, str]:
    """Set ``[api] image.tag`` in ``envs/<env>.toml``; return ``(old, new)``. Invalid results are not written."""
    import tomlkit

    from environment.config import ConfigError, parse_environment

    path = envs_dir / f"{env}.toml"
    if not path.is_file():
        raise OpsError(f"no environment {env!r}: {path} does not exist")
    text = path.read_text(encoding="utf-8")
    document = tomlkit.parse(text)
    try:
        image = document["api"]["image"]
        old = str(image["tag"])
    except KeyError:
        raise OpsError(f"{path} has no [api] image.tag to update") from None
    image["tag"] = tag
    new_text = tomlkit.dumps(document)
    try:
        parse_environment(path, new_text)
    except ConfigError as err:
        raise OpsError(f"tag {tag!r} would make {path} invalid:\n  " + "\n  ".join(err.problems)) from None
    if new_text != text:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        os.replace(tmp, path)
    return old, tag


# --------------------------------------------------------------------------
# 4. waiting for the rollout
# --------------------------------------------------------------------------


def image_tag(image: str) -> str:
    """The tag of an image reference (``repo/name:tag`` -> ``tag``; digests and untagged -> "")."""
    name = image.rsplit("/", 1)[-1]
    if "@" in name or ":" not in name:
        return ""
    return name.rsplit(":", 1)[1]


@dataclass(frozen=True)
class Rollout:
    done: bool
    status: str


def check_rollout(ecs, cluster: str, service: str, tag: str) -> Rollout:
    """One look at the service: done, still going, or (raises) failed / rolled back."""
    found = ecs.describe_services(cluster=cluster, services=[service])
    if not found.get("services"):
        raise OpsError(f"service {service} not found in cluster {cluster}")
    svc = found["services"][0]
    deployments = svc.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        raise OpsError(f"service {service} has no PRIMARY deployment")
    definition = ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])["taskDefinition"]
    containers = definition["containerDefinitions"]
    image = next((c for c in containers if c.get("essential", True)), containers[0])["image"]
    failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
    if image_tag(image) != tag:
        if failed or any("circuit breaker" in e.get("message", "") for e in svc.get("events", [])[:20]):
            reason = failed[0].get("rolloutStateReason", "") if failed else "see the service events"
            raise OpsError(f"the circuit breaker rolled the deployment back: the service runs {image}, not :{tag} ({reason})")
        raise OpsError(f"the service runs {image}, not :{tag}: was `make deploy` run after `set-tag`?")
    if primary.get("rolloutState") == "FAILED":
        raise OpsError(f"the deployment of :{tag} failed: {primary.get('rolloutStateReason', '')}")
    running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
    state = primary.get("rolloutState", "")
    status = f"{state or 'deploying'}: {running}/{desired} tasks on :{tag}, {len(deployments)} deployment(s)"
    done = len(deployments) == 1 and running == desired and desired > 0 and state in ("COMPLETED", "")
    return Rollout(done=done, status=status)


def wait_for_rollout(
    target: AwsTarget,
    cluster: str,
    service: str,
    tag: str,
    *,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TIMEOUT_SECONDS,
    log: Callable[[str], None] = print,
) -> None:
    ecs = target.client("ecs")
    deadline = time.monotonic() + timeout_seconds
    last = ""
    while True:
        rollout = check_rollout(ecs, cluster, service, tag)
        if rollout.status != last:
            last = rollout.status
            log(f"{service}: {last}")
        if rollout.done:
            log(f"{service}: stable on :{tag}")
            return
        if time.monotonic() > deadline:
            raise OpsError(f"{service} not stable on :{tag} after {timeout_seconds:.0f} s ({last})")
        time.sleep(poll_seconds)


# --------------------------------------------------------------------------
# 5. recording the release on main
# --------------------------------------------------------------------------


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise OpsError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


def record_release(
    env: str,
    tag: str,
    *,
    repo: Path = PROJECT_ROOT,
    envs_dir: Path = ENVS_DIR,
    remote: str = "origin",
    branch: str = "main",
    attempts: int = PUSH_ATTEMPTS,
    log: Callable[[str], None] = print,
) -> bool:
    """Commit ``envs/<env>.toml`` and push it to ``remote/branch``. Returns False when there was nothing to record."""
    path = (envs_dir / f"{env}.toml").resolve().relative_to(repo.resolve()).as_posix()
    if not _git(repo, "status", "--porcelain", "--", path).stdout.strip():
        log(f"{path}: nothing to record (already at the committed tag)")
        return False
    identity = []
    if not _git(repo, "config", "user.email", check=False).stdout.strip():
        identity = ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
    _git(repo, "add", "--", path)
    _git(
        repo,
        *identity,
        "commit",
        "-m",
        f"release({env}): api image {tag}",
        "-m",
        "Deployed through the stack and stable (ops/release.py). [skip ci]",
        "--",
        path,
    )
    for attempt in range(1, attempts + 1):
        if _git(repo, "push", remote, f"HEAD:refs/heads/{branch}", check=False).returncode == 0:
            log(f"recorded {env} -> {tag} on {remote}/{branch}")
            return True
        log(f"push rejected (attempt {attempt}/{attempts}): rebasing on {remote}/{branch}")
        _git(repo, "fetch", remote, branch)
        rebase = _git(repo, *identity, "rebase", f"{remote}/{branch}", check=False)
        if rebase.returncode != 0:
            _git(repo, "rebase", "--abort", check=False)
            raise OpsError(f"{path} changed on {remote}/{branch} meanwhile and conflicts with this release; record it by hand")
    raise OpsError(f"could not push to {remote}/{branch} after {attempts} attempts")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def _main(args: argparse.Namespace) -> int:
    if args.command == "set-tag":
        old, new = set_image_tag(args.env, args.tag, args.envs_dir)
        print(f"envs/{args.env}.toml: api image tag {old} -> {new}")
    elif args.command == "wait":
        outputs = read_outputs(args.env, outputs_file=args.outputs_file)
        wait_for_rollout(
            aws_target(args.env, args.envs_dir),
            outputs.string("ecs_cluster_name"),
            outputs.string("ecs_service_name"),
            args.tag,
            timeout_seconds=args.timeout,
        )
    else:
        record_release(args.env, args.tag, envs_dir=args.envs_dir, remote=args.remote, branch=args.branch)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.release", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    set_tag = sub.add_parser("set-tag", help="write TAG into envs/ENV.toml ([api] image.tag)")
    wait = sub.add_parser("wait", help="wait until the ECS service runs TAG and is stable")
    record = sub.add_parser("record", help="commit envs/ENV.toml and push it")
    for command in (set_tag, wait, record):
        (add_env_arguments if command is wait else add_env_argument)(command)
        command.add_argument("tag", metavar="TAG")
    wait.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help=f"seconds (default {TIMEOUT_SECONDS:.0f})")
    record.add_argument("--remote", default="origin")
    record.add_argument("--branch", default="main")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
