"""Load an environment's database: ``users ensure``, ``migrate``, then ``seed``, each as a one-off ECS Fargate task.

Usage::

    python -m ops.data_load ENV                                   # database users, then migrations
    python -m ops.data_load ENV --seed s3://bucket/dump.sql.gz    # users, migrations, then seed (repeatable)
    python -m ops.data_load ENV --rotate-users                    # only: new passwords for both users
    make data-load ENV=staging SEED=s3://bucket/dump.sql.gz

Each step runs the service's image as a one-off task definition of its own, so each runs as
the least database user it needs: ``users`` (``python -m geoapi users ensure``: make the
application and loader users, put their passwords into their secrets) runs the latest active
revision of ``db_admin_task_definition_family``, the only task whose role may read the Aurora
master secret; ``migrate`` and ``seed`` run ``db_loader_task_definition_family``, as the loader
user (DDL and rows on the application schema only). ``run_task`` on the ``ecs_cluster_name``
cluster, in ``task_subnet_ids`` with ``task_security_group_id`` and no public IP, with a
container override giving the command. The command then waits until the task has stopped,
prints the end of its CloudWatch log, and reports the container's exit code. Any non-zero exit
code, or a task that stopped without one (image pull, out of memory), fails the command and
skips the steps after it. ``--skip-users`` leaves the users as they are; ``--rotate-users``
runs only ``python -m geoapi users rotate`` in the admin task (docs/runbooks/rotating-secrets.md).

Defaults: the container overridden is the task definition's first essential container; the
wait polls every 6 s for at most 30 min (``--timeout``). A task still running at the timeout is
left running (stopping a migration half-way is worse) and the command fails, naming the task.
Seed sources are ``s3://bucket/key`` URLs (the task role must be allowed to read them) or
absolute paths inside the image.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from environment.names import awslogs_stream
from ops.stack_outputs import AwsTarget, OpsError, StackOutputs, aws_target, env_command_parser, read_outputs, run_cli

STARTED_BY = "ops.data_load"
"""``startedBy`` on every task this runs (find them with ``aws ecs list-tasks --started-by``)."""
POLL_SECONDS = 6.0
TIMEOUT_SECONDS = 1800.0
LOG_TAIL_LINES = 30

_SOURCE = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S+|/\S+")


@dataclass(frozen=True)
class TaskPlacement:
    """Where a one-off task runs: the cluster and the tasks' network."""

    cluster: str
    subnet_ids: list[str]
    security_group_id: str

    @classmethod
    def from_outputs(cls, outputs: StackOutputs) -> TaskPlacement:
        """From the environment stack's outputs (``environment.outputs``)."""
        return cls(outputs.string("ecs_cluster_name"), outputs.strings("task_subnet_ids"), outputs.string("task_security_group_id"))


@dataclass(frozen=True)
class TaskFamilies:
    """Which task definition family each kind of step runs (from the stack outputs)."""

    admin: str
    """``db_admin_task_definition_family``: ``users ensure`` (reads the master secret)."""
    loader: str
    """``db_loader_task_definition_family``: ``migrate`` and ``seed`` (as the loader user)."""

    @classmethod
    def from_outputs(cls, outputs: StackOutputs) -> TaskFamilies:
        return cls(outputs.string("db_admin_task_definition_family"), outputs.string("db_loader_task_definition_family"))


@dataclass(frozen=True)
class TaskResult:
    step: str
    task_arn: str
    exit_code: int | None
    stopped_reason: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def commands(
    seed_sources: Sequence[str], *, migrate: bool = True, users: bool = True, rotate: bool = False
) -> list[tuple[str, str, list[str]]]:
    """The one-off commands to run, in order, as ``(step, runs as: "admin" | "loader", argv)``."""
    if rotate:
        if seed_sources or not (migrate and users):
            raise OpsError("--rotate-users runs alone: no --seed, --skip-users or --skip-migrate with it")
        return [("rotate", "admin", ["python", "-m", "geoapi", "users", "rotate"])]
    for source in seed_sources:
        if not _SOURCE.fullmatch(source):
            raise OpsError(f"seed source {source!r} is neither an s3://bucket/key URL nor an absolute path in the image")
    steps = [("users", "admin", ["python", "-m", "geoapi", "users", "ensure"])] if users else []
    if migrate:
        steps.append(("migrate", "loader", ["python", "-m", "geoapi", "migrate"]))
    if seed_sources:
        steps.append(("seed", "loader", ["python", "-m", "geoapi", "seed", *seed_sources]))
    if not steps:
        raise OpsError("nothing to do: --skip-users and --skip-migrate without --seed")
    return steps


def _task_definition(ecs, family: str) -> dict:
    try:
        return ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except ecs.exceptions.ClientException as err:
        raise OpsError(f"task definition family {family!r}: {err.response['Error']['Message']}") from None


def _container(task_definition: dict) -> dict:
    containers = task_definition["containerDefinitions"]
    return next((c for c in containers if c.get("essential", True)), containers[0])


def run_one_off(
    target: AwsTarget,
    placement: TaskPlacement,
    family: str,
    step: str,
    command: list[str],
    *,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TIMEOUT_SECONDS,
    log: Callable[[str], None] = print,
) -> TaskResult:
    """Run ``command`` as a one-off Fargate task of task definition ``family`` (its latest revision); wait; report."""
    ecs = target.client("ecs")
    task_definition = _task_definition(ecs, family)
    container = _container(task_definition)
    response = ecs.run_task(
        cluster=placement.cluster,
        taskDefinition=task_definition["taskDefinitionArn"],
        launchType="FARGATE",
        count=1,
        startedBy=STARTED_BY,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": placement.subnet_ids,
                "securityGroups": [placement.security_group_id],
                "assignPublicIp": "DISABLED",
            }
        },
        overrides={"containerOverrides": [{"name": container["name"], "command": command}]},
        propagateTags="TASK_DEFINITION",
    )
    if response.get("failures") or not response.get("tasks"):
        failure = (response.get("failures") or [{"reason": "no task started"}])[0]
        raise OpsError(f"{step}: run_task failed: {failure.get('reason')} {failure.get('detail', '')}".strip())
    task_arn = response["tasks"][0]["taskArn"]
    log(f"{step}: started task {task_arn} ({' '.join(command)})")

    deadline = time.monotonic() + timeout_seconds
    last = None
    while True:
        task = ecs.describe_tasks(cluster=placement.cluster, tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] != last:
            last = task["lastStatus"]
            log(f"{step}: {last}")
        if last == "STOPPED":
            break
        if time.monotonic() > deadline:
            raise OpsError(
                f"{step}: task {task_arn} is still {last} after {timeout_seconds:.0f} s; it was left running "
                f"(aws ecs describe-tasks --cluster {placement.cluster} --tasks {task_arn})"
            )
        time.sleep(poll_seconds)

    _print_log_tail(target, container, task_arn, log)
    state = next((c for c in task.get("containers", []) if c.get("name") == container["name"]), {})
    reason = "; ".join(r for r in (task.get("stoppedReason", ""), state.get("reason", "")) if r)
    result = TaskResult(step=step, task_arn=task_arn, exit_code=state.get("exitCode"), stopped_reason=reason)
    if result.exit_code is None:
        log(f"{step}: FAILED: the task stopped without an exit code ({reason or 'no reason given'})")
    else:
        log(f"{step}: exit code {result.exit_code}" + ("" if result.ok else f" FAILED ({reason})" if reason else " FAILED"))
    return result


def _print_log_tail(target: AwsTarget, container: dict, task_arn: str, log: Callable[[str], None]) -> None:
    """The last lines of the container's awslogs stream (``<prefix>/<container>/<task id>``)."""
    found = awslogs_stream(container, task_arn)
    if found is None:
        return
    group, stream = found
    logs = target.client("logs")
    try:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=LOG_TAIL_LINES, startFromHead=False)["events"]
    except logs.exceptions.ResourceNotFoundException:
        log(f"  (no log stream {group}:{stream})")
        return
    for event in events:
        log(f"  | {event['message'].rstrip()}")


def load_data(
    target: AwsTarget,
    placement: TaskPlacement,
    families: TaskFamilies,
    seed_sources: Sequence[str] = (),
    *,
    migrate: bool = True,
    users: bool = True,
    rotate: bool = False,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TIMEOUT_SECONDS,
    log: Callable[[str], None] = print,
) -> list[TaskResult]:
    """Run the steps in order, each with its task definition family; stop at the first failure.
    Returns the results of the steps run."""
    results = []
    for step, runs_as, command in commands(seed_sources, migrate=migrate, users=users, rotate=rotate):
        family = getattr(families, runs_as)
        result = run_one_off(target, placement, family, step, command, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds, log=log)
        results.append(result)
        if not result.ok:
            break
    return results


def _main(args: argparse.Namespace) -> int:
    commands(args.seed or [], migrate=not args.skip_migrate, users=not args.skip_users, rotate=args.rotate_users)  # validate first
    outputs = read_outputs(args.env, outputs_file=args.outputs_file)
    results = load_data(
        aws_target(args.env, args.envs_dir),
        TaskPlacement.from_outputs(outputs),
        TaskFamilies.from_outputs(outputs),
        args.seed or [],
        migrate=not args.skip_migrate,
        users=not args.skip_users,
        rotate=args.rotate_users,
        timeout_seconds=args.timeout,
    )
    failed = [r for r in results if not r.ok]
    if failed:
        first = failed[0]
        code = "no exit code" if first.exit_code is None else f"exit code {first.exit_code}"
        raise OpsError(f"data load failed at {first.step} ({code}); task {first.task_arn}")
    print(f"data load done: {', '.join(r.step for r in results)} exited 0")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = env_command_parser("ops.data_load", "Run the backend's users ensure, migrate and seed as one-off ECS tasks in an environment.")
    parser.add_argument("--seed", action="append", metavar="SOURCE", help="s3://bucket/key (or a path in the image) to seed; repeatable")
    parser.add_argument("--skip-users", action="store_true", help="do not run the admin task (users ensure) first")
    parser.add_argument("--skip-migrate", action="store_true", help="only seed")
    parser.add_argument("--rotate-users", action="store_true", help="only rotate the database users' passwords (the admin task)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help=f"seconds to wait per task (default {TIMEOUT_SECONDS:.0f})")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
