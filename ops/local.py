"""``make local`` / ``make down``: a whole environment on the emulated AWS.

    python -m ops.local up     [--env envs/local.toml] [--out cdktf.out]
    python -m ops.local down   [--env envs/local.toml] [--out cdktf.out]
    python -m ops.local outputs [--env envs/local.toml]

``up``: start the emulator (``localaws``) on the env file's ``[aws] endpoint`` if it is
not running, creating the env's "existing" network; install the cdktf CLI from
package.json if ``node_modules`` is missing; synthesize once; deploy the bootstrap stack of
the env's state backend, then ``env-<name>`` (both skipped when the synthesized stacks are
the ones already deployed on this emulator); then start the **data plane** from what was
deployed (``localaws.dataplane``: TLS-only database, API tasks, load balancer, edge), make the
database users, run the migrations and load the sample data as one-off tasks (``ops.data_load``), publish the
single-page app with its ``config.json`` (``ops.publish_frontend``), and print where the
site, the API and the database serve. A second run changes nothing.
``down``: stop the data plane, destroy ``env-<name>`` then the bootstrap stack, and stop the
emulator.

Credentials for the emulator are dummy values put in the environment of the commands;
nothing is written into the synthesized configuration.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import localaws
from environment.names import bootstrap_stack_name
from environment.outputs import SHOWN_OUTPUTS
from toolchain.terraform import terraform_env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = ROOT / "envs" / "local.toml"
DEFAULT_OUT = ROOT / "cdktf.out"


class LocalError(RuntimeError):
    """A step of ``up`` / ``down`` failed; the message says which and what to do."""


@dataclass(frozen=True)
class Target:
    """What ``up`` / ``down`` act on, derived from one env file."""

    env_file: Path
    stack: str
    bootstrap_stack: str
    endpoint: str
    host: str
    port: int
    vpc_id: str
    region: str = localaws.DEFAULT_REGION
    auth0: tuple[str, str] = ("", "")  # (domain, audience) from [auth0]
    seed_source: str | None = None  # [database] seed_source: where make local puts the sample dump
    state_backend: tuple[str, str] = ("", "")  # [state] (bucket, lock table): what the env stack's init needs

    @classmethod
    def from_env_file(cls, env_file: Path) -> Target:
        from environment.config import ConfigError, load_environment

        try:
            config = load_environment(env_file)
        except ConfigError as err:
            raise LocalError("invalid env file:\n  " + "\n  ".join(err.problems)) from None
        if config.aws.endpoint is None:
            raise LocalError(f"{env_file}: [aws] endpoint is not set: this is not an emulator environment")
        endpoint = str(config.aws.endpoint).rstrip("/")
        url = urlparse(endpoint)
        if url.hostname is None or url.port is None:
            raise LocalError(f"{env_file}: [aws] endpoint needs a host and a port, got {endpoint}")
        try:
            localaws.server.require_loopback(url.hostname)
        except localaws.LocalAWSError as err:
            raise LocalError(f"{env_file}: {err}") from None
        return cls(
            env_file=env_file.resolve(),
            stack=config.stack_name,
            bootstrap_stack=bootstrap_stack_name(config.state.bucket),
            endpoint=endpoint,
            host=url.hostname,
            port=url.port,
            vpc_id=config.network.vpc_id,
            region=config.aws.region,
            auth0=(config.auth0.domain, config.auth0.audience),
            seed_source=config.database.seed_source,
            state_backend=(config.state.bucket, config.state.lock_table),
        )


def command_env(target: Target, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for cdktf / terraform against the emulator (mirror, quiet vars, dummy keys)."""
    env = localaws.client_env(target.endpoint, terraform_env(base))
    env.pop("AWS_ENDPOINT_URL", None)  # the stacks name their endpoints; keep SDK defaults out
    if target.env_file.parent != (ROOT / "envs").resolve():
        env["GEOAPP_ENVS_DIR"] = str(target.env_file.parent)
    return env


def _run(cmd: Sequence[str], env: Mapping[str, str], what: str) -> float:
    print(f"\n==> {what}: {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(list(cmd), cwd=ROOT, env=dict(env), check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise LocalError(f"{what} failed (exit {result.returncode}) after {seconds:.0f} s")
    print(f"==> {what}: done in {seconds:.1f} s", flush=True)
    return seconds


def ensure_cdktf_cli(env: Mapping[str, str]) -> None:
    """``npm ci`` when the cdktf CLI from package.json is not installed."""
    if (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        return
    if not (ROOT / "package-lock.json").exists():
        raise LocalError("package-lock.json is missing: cannot install the cdktf CLI")
    if shutil.which("npm") is None:
        raise LocalError("npm is not installed (Node.js 20 is needed for the cdktf CLI)")
    _run(["npm", "ci", "--no-audit", "--no-fund"], env, "install cdktf CLI")


def cdktf(args: Sequence[str], out: Path) -> list[str]:
    """``npx cdktf ARGS`` with this venv's Python as the app and ``out`` as the output dir."""
    return ["npx", "--no-install", "cdktf", *args, "--app", f"{sys.executable} main.py", "--output", str(out)]


def ensure_emulator(target: Target, state_dir: Path) -> localaws.server.Pidfile:
    info = localaws.start_background(target.host, target.port, state_dir, env_files=[target.env_file])
    _check_network(target)
    return info


def _client(target: Target, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=target.endpoint,
        region_name=localaws.DEFAULT_REGION,
        aws_access_key_id=localaws.DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=localaws.DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _check_network(target: Target) -> None:
    ec2 = _client(target, "ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [target.vpc_id]}])["Vpcs"]
    if not vpcs:
        raise LocalError(
            f"the emulator at {target.endpoint} has no {target.vpc_id}: it was started without "
            f"--env {target.env_file}; restart it with `python -m localaws stop` and run again"
        )


def stack_outputs(target: Target, out: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """``terraform output -json`` of the deployed env stack, as ``{name: value}``."""
    result = subprocess.run(
        ["terraform", "output", "-json"],
        cwd=out / "stacks" / target.stack,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LocalError(f"terraform output failed: {result.stderr.strip()}")
    return {name: item["value"] for name, item in json.loads(result.stdout or "{}").items()}


@dataclass
class Deployment:
    """What ``up`` did: the env stack's outputs, the running data plane, and step wall times (s)."""

    outputs: dict[str, Any]
    timings: dict[str, float]
    dataplane: Any = None  # localaws.dataplane.plane.Running


SAMPLE_DUMP = ROOT / "backend" / "sample" / "sample.sql"
"""The sample data (an SQL dump, with its ``.sha256``), loaded by ``make local``."""
IMAGE_SAMPLE = "/app/sample/sample.sql"
"""The same dump inside the image, loaded when the env file names no ``seed_source``."""
FRONTEND = ROOT / "frontend"


#: What a synth reads: the entry point, the model, the stacks, the constructs, the backend's
#: variable names, and the env files. Their content hash decides whether ``up`` synthesizes again.
SYNTH_INPUTS = ("main.py", "cdktf.json", "environment", "stacks", "modules", "backend/geoapi/envvars.py", "Pipfile.lock")


def synth_inputs_digest(target: Target) -> str:
    """SHA-256 over every synth input's path and bytes, and the env file(s) in use."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in SYNTH_INPUTS:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
    files += sorted(target.env_file.parent.glob("*.toml"))
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def synth(target: Target, out: Path, env: Mapping[str, str], *, reuse: bool = False) -> float:
    """``cdktf synth`` into ``out``; with ``reuse``, skipped when ``out`` holds a synth of the same inputs."""
    marker = out / ".synth-inputs"
    digest = synth_inputs_digest(target)
    stacks_there = all((out / "stacks" / s / "cdk.tf.json").exists() for s in (target.stack, target.bootstrap_stack))
    if reuse and stacks_there and marker.exists() and marker.read_text() == digest:
        print("==> synth: inputs unchanged since the last synth in " + str(out) + ": skipped")
        return 0.0
    ensure_cdktf_cli(env)
    seconds = _run(cdktf(["synth"], out), env, "synth")
    marker.write_text(digest)
    return seconds


def deploy_stack(stack: str, out: Path, env: Mapping[str, str]) -> float:
    """``cdktf deploy STACK`` of an already synthesized app; return its wall time."""
    return _run(cdktf(["deploy", stack, "--auto-approve", "--skip-synth", "--skip-provider-lock"], out), env, f"deploy {stack}")


def destroy_stack(stack: str, out: Path, env: Mapping[str, str]) -> float:
    """``cdktf destroy STACK`` of an already synthesized app; return its wall time."""
    return _run(cdktf(["destroy", stack, "--auto-approve", "--skip-synth"], out), env, f"destroy {stack}")


def synth_digest(out: Path, stacks: Sequence[str]) -> str:
    """SHA-256 over the synthesized JSON of ``stacks`` (what a deploy would apply)."""
    digest = hashlib.sha256()
    for stack in stacks:
        digest.update((out / "stacks" / stack / "cdk.tf.json").read_bytes())
    return digest.hexdigest()


def deploy(target: Target, out: Path, env: Mapping[str, str], state_dir: Path, emulator_pid: int) -> dict[str, float]:
    """Synthesize, then deploy bootstrap and env unless this emulator already holds exactly this synth."""
    timings = {"synth": synth(target, out, env, reuse=True)}
    stacks = (target.bootstrap_stack, target.stack)
    marker = state_dir / f"deployed-{target.stack}.json"
    current = {"digest": synth_digest(out, stacks), "emulator_pid": emulator_pid}
    try:
        unchanged = json.loads(marker.read_text()) == current
    except (OSError, ValueError):
        unchanged = False
    if unchanged and (out / "stacks" / target.stack / ".terraform").is_dir():
        print(f"==> deploy: {', '.join(stacks)} unchanged since the last deploy to this emulator: skipped")
        return timings
    marker.unlink(missing_ok=True)
    timings |= deploy_bootstrap_and_env(target, out, env)
    marker.write_text(json.dumps(current) + "\n")
    return timings


def deploy_bootstrap_and_env(target: Target, out: Path, env: Mapping[str, str]) -> dict[str, float]:
    """Deploy the bootstrap stack, and the env stack as soon as its state backend exists.

    The env stack's ``init`` needs only the state bucket and the lock table. The bootstrap's
    other resources go on meanwhile: the AWS provider waits about 55 s after the bucket's
    lifecycle rule whatever the endpoint (docs/emulator.md), which no longer delays the env
    stack. Both must succeed; a bootstrap failure is raised once the env apply has ended."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="bootstrap") as pool:
        bootstrap = pool.submit(deploy_stack, target.bootstrap_stack, out, env)
        _wait_for_state_backend(target, bootstrap)
        apply = deploy_stack(target.stack, out, env)
        return {"bootstrap": bootstrap.result(), "apply": apply}


def _wait_for_state_backend(target: Target, bootstrap: Any, timeout: float = 600) -> None:
    """Return once the state bucket and the lock table exist; raise what the bootstrap raised."""
    from botocore.exceptions import ClientError

    bucket, table = target.state_backend
    s3, dynamodb = _client(target, "s3"), _client(target, "dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bootstrap.done():
            bootstrap.result()  # raises the bootstrap's error, or it is done and the backend exists
            return
        try:
            s3.head_bucket(Bucket=bucket)
            if dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE":
                return
        except ClientError:
            pass
        time.sleep(1)
    raise LocalError(f"the state bucket {bucket} and lock table {table} did not appear within {timeout:.0f} s")


def ensure_frontend_packages(env: Mapping[str, str]) -> None:
    """``npm ci`` in frontend/ when its packages are missing (the build and the local issuer need them)."""
    if not all((FRONTEND / "node_modules" / p).exists() for p in (".bin/vite", "oidc-provider")):
        _run(["npm", "ci", "--prefix", str(FRONTEND), "--no-audit", "--no-fund"], env, "install frontend packages")


def build_frontend(env: Mapping[str, str]) -> Path:
    """``npm run build`` in frontend/ unless frontend/dist is newer than every source file."""
    dist = FRONTEND / "dist"
    sources = [p for d in ("src", "public") for p in (FRONTEND / d).rglob("*") if p.is_file()]
    sources += [FRONTEND / n for n in ("index.html", "package-lock.json", "vite.config.ts") if (FRONTEND / n).exists()]
    built = dist / "index.html"
    if built.exists() and all(p.stat().st_mtime <= built.stat().st_mtime for p in sources):
        return dist
    ensure_frontend_packages(env)
    _run(["npm", "run", "build", "--prefix", str(FRONTEND)], env, "build frontend")
    return dist


def publish_site(target: Target, outputs: Mapping[str, Any], env: Mapping[str, str], state_dir: Path, issuer: Any = None) -> float:
    """Build the SPA, add config.json, publish it to the env's assets bucket (as CI does).

    ``issuer`` (``localaws.dataplane.issuer.Issuer``): the local OpenID Connect issuer standing in
    for Auth0, named as ``auth0.authority`` with its client id; None: no sign-in."""
    from environment.config import load_environment
    from ops.publish_frontend import publish, runtime_config
    from ops.stack_outputs import AwsTarget

    started = time.monotonic()
    site = state_dir / "dataplane" / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(build_frontend(env), site)
    config = load_environment(target.env_file)
    made = runtime_config(config, issuer.client_id, authority=issuer.url) if issuer else runtime_config(config)
    (site / "config.json").write_text(json.dumps(made, indent=2) + "\n")
    publish(
        AwsTarget(target.region, target.endpoint),
        directory=site,
        bucket=outputs["assets_bucket"],
        prefix=outputs["assets_prefix"],
        distribution_id=outputs["cloudfront_distribution_id"],
    )
    return time.monotonic() - started


def upload_sample(target: Target) -> str:
    """Put the sample dump and its ``.sha256`` where ``[database] seed_source`` points, as an
    operator puts a dump in the seed bucket (the bucket is made if missing: it is the
    operator's, not the stack's); return the dump's ``s3://`` URL, or the image's copy without one."""
    from ops.stack_outputs import AwsTarget

    if not target.seed_source:
        return IMAGE_SAMPLE
    bucket, _, prefix = target.seed_source.removeprefix("s3://").partition("/")
    key = (prefix if prefix.endswith("/") or not prefix else prefix + "/") + SAMPLE_DUMP.name
    s3 = AwsTarget(target.region, target.endpoint).client("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
    for path, name in ((SAMPLE_DUMP, key), (SAMPLE_DUMP.with_name(SAMPLE_DUMP.name + ".sha256"), key + ".sha256")):
        s3.upload_file(str(path), bucket, name)
    return f"s3://{bucket}/{key}"


def load_sample(target: Target, outputs: Mapping[str, Any]) -> float:
    """Make the database users (the admin task), migrate and load the sample data (the loader task)
    as one-off tasks (``ops.data_load``, as on AWS); a dump loaded before (same SHA-256) is skipped
    by the seed, so data is kept across runs, and the users keep the passwords in their secrets."""
    from ops.data_load import TaskFamilies, TaskPlacement, load_data
    from ops.stack_outputs import AwsTarget, StackOutputs

    started = time.monotonic()
    source = upload_sample(target)
    target_aws = AwsTarget(target.region, target.endpoint)
    read = StackOutputs(target.stack, outputs)
    placement, families = TaskPlacement.from_outputs(read), TaskFamilies.from_outputs(read)
    results = load_data(target_aws, placement, families, [source], poll_seconds=0.5, timeout_seconds=300)
    failed = [r for r in results if not r.ok]
    if failed:
        raise LocalError(f"data load failed at {failed[0].step} (exit code {failed[0].exit_code}); see the task log above")
    return time.monotonic() - started


def put_auth0_settings(target: Target, outputs: Mapping[str, Any]) -> None:
    """Step 4 of docs/runbooks/auth0-external.md, as an operator does it: the Auth0 settings
    secret gets ``domain`` and ``audience`` from ``[auth0]`` when it has no value yet (a value
    already there is kept)."""
    from ops.stack_outputs import AwsTarget

    sm = AwsTarget(target.region, target.endpoint).client("secretsmanager")
    arn = outputs["auth0_secret_arn"]
    if sm.list_secret_version_ids(SecretId=arn).get("Versions"):
        return
    domain, audience = target.auth0
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"domain": domain, "audience": audience}))
    print(f"==> auth0 settings: put domain {domain} and audience {audience} into {arn} (runbook auth0-external.md, step 4)")


def serve(target: Target, outputs: Mapping[str, Any], env: Mapping[str, str], state_dir: Path) -> tuple[Any, dict[str, float]]:
    """Start the data plane from what was deployed; load the sample; publish the site."""
    from localaws.dataplane import plane

    started = time.monotonic()
    put_auth0_settings(target, outputs)
    timings: dict[str, float] = {}

    def data_load() -> None:  # the API's tasks are ready only once the admin task has made their user
        timings["data load"] = load_sample(target, outputs)

    ensure_frontend_packages(env)  # the local sign-in issuer runs from frontend/node_modules
    try:
        running = plane.start(dict(outputs), endpoint=target.endpoint, region=target.region, state_dir=state_dir, before_ready=data_load)
    except (RuntimeError, LookupError) as err:
        raise LocalError(f"data plane: {err}") from None
    timings["dataplane"] = time.monotonic() - started - timings["data load"]
    timings["publish site"] = publish_site(target, outputs, env, state_dir, running.issuer)
    return running, timings


def up(target: Target, out: Path = DEFAULT_OUT, state_dir: Path = localaws.DEFAULT_STATE_DIR, *, data_plane: bool = True) -> Deployment:
    """Start the emulator, deploy bootstrap then env, start the data plane; print what serves where."""
    started = time.monotonic()
    info = ensure_emulator(target, state_dir)
    print(f"emulator: {info.endpoint} (pid {info.pid})")
    env = command_env(target)
    state_dir.mkdir(parents=True, exist_ok=True)
    timings = deploy(target, out, env, state_dir, info.pid)
    outputs = stack_outputs(target, out, env)
    (state_dir / f"outputs-{target.stack}.json").write_text(json.dumps(outputs, indent=2) + "\n")
    running = None
    if data_plane:
        running, served = serve(target, outputs, env, state_dir)
        timings.update(served)
    timings["total"] = time.monotonic() - started
    print(f"\n{target.stack} is up (" + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + "):")
    if running is not None:
        print(f"  site: {running.site_url}/")
        print(f"  api: {running.api_url}/")
        print(f"  database: {running.database} ({'TLS required' if running.tls_required else 'TLS optional'})")
        print(f"    (stands for {running.spec.database.endpoint}:{running.spec.database.port})")
        print(f"  logs:      {running.directory / 'logs'}  (status: {running.directory / 'status.json'})")
        print_sign_in(running.issuer)
    for name in SHOWN_OUTPUTS:
        if name in outputs:
            print(f"  {name:28s} {outputs[name]}")
    print(f"  (all outputs: {state_dir / f'outputs-{target.stack}.json'})")
    return Deployment(outputs, timings, running)


def print_sign_in(issuer: Any) -> None:
    """Where to sign in and as whom: the local issuer's URL and its generated users (local only)."""
    from localaws.dataplane.issuer import USERS

    print(f"  sign-in:   {issuer.url}  (local OpenID Connect issuer standing in for Auth0; client id {issuer.client_id})")
    for name, password in issuer.users.items():
        print(f"    user {name:7s} password {password}  ({' '.join(USERS.get(name, [])) or 'no API scope: read-only'})")
    print(f"    (generated for this state dir, kept in {issuer.directory / 'users.json'})")


def stop_processes(state_dir: Path) -> bool:
    """Stop the data plane of ``state_dir`` (tasks, balancer, edge, database)."""
    from localaws.dataplane import plane

    return plane.stop(state_dir)


def destroy_stacks(target: Target, out: Path, env: Mapping[str, str]) -> dict[str, float]:
    """Destroy the env stack, then its bootstrap stack (synthesizing first unless ``out`` holds a
    synth of the same inputs); return timings."""
    timings = {"synth": synth(target, out, env, reuse=True)}
    timings["destroy"] = destroy_stack(target.stack, out, env)
    timings["destroy_bootstrap"] = destroy_stack(target.bootstrap_stack, out, env)
    return timings


def down(target: Target, out: Path = DEFAULT_OUT, state_dir: Path = localaws.DEFAULT_STATE_DIR) -> None:
    """Destroy env then bootstrap, then stop the emulator."""
    if stop_processes(state_dir):
        print("data plane stopped")
    info, healthy = localaws.status(state_dir)
    if info is None or not healthy:
        print("emulator is not running: nothing to destroy (its resources went with it)")
        localaws.stop_background(state_dir)
        return
    destroy_stacks(target, out, command_env(target))
    (state_dir / f"outputs-{target.stack}.json").unlink(missing_ok=True)
    (state_dir / f"deployed-{target.stack}.json").unlink(missing_ok=True)
    localaws.stop_background(state_dir)
    print("emulator stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "outputs"))
    parser.add_argument("--env", type=Path, default=DEFAULT_ENV_FILE, help=f"env file (default: {DEFAULT_ENV_FILE.relative_to(ROOT)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="cdktf output dir (default: cdktf.out)")
    parser.add_argument("--state-dir", type=Path, default=localaws.DEFAULT_STATE_DIR, help="emulator pidfile/log dir (default: .local)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    try:
        target = Target.from_env_file(args.env)
        if args.command == "up":
            up(target, args.out.resolve(), args.state_dir.resolve())
        elif args.command == "down":
            down(target, args.out.resolve(), args.state_dir.resolve())
        else:
            print(json.dumps(stack_outputs(target, args.out.resolve(), command_env(target)), indent=2))
    except (LocalError, localaws.LocalAWSError) as err:
        print(f"ops.local: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
