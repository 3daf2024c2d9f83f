"""An environment's stack outputs and AWS target, for the operator commands.

Every ops command (publish the frontend, load data, release, load-test) needs two things
about an environment ``ENV``:

* where its AWS is: region and, for the emulator, the endpoint URL, both read from
  ``envs/ENV.toml`` (validated by :mod:`environment.config`);
* what its stack ``env-ENV`` built: the Terraform outputs of the contract (``assets_bucket``,
  ``ecs_cluster_name``, ...).

Outputs come from, in order:

1. an outputs file given explicitly (``--outputs-file``) or through ``$GEOAPP_OUTPUTS_FILE``;
   both ``terraform output -json`` files and ``cdktf deploy --outputs-file`` files are read;
2. ``terraform output -json`` run in ``cdktf.out/stacks/env-ENV`` (initialised first when
   needed), which reads the remote state. Run ``make synth`` first.

CLI (for shell steps)::

    python -m ops.stack_outputs staging                  # all outputs as JSON
    python -m ops.stack_outputs staging assets_bucket    # one value (lists as JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environment.names import env_stack_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""Repository root."""

ENVS_DIR = PROJECT_ROOT / "envs"
"""Default folder of environment files."""

STACKS_DIR = PROJECT_ROOT / "cdktf.out" / "stacks"
"""Where ``cdktf synth`` writes one folder per stack."""

OUTPUTS_FILE_VAR = "GEOAPP_OUTPUTS_FILE"
"""Environment variable naming an outputs file (used when ``--outputs-file`` is not given)."""


class OpsError(Exception):
    """A problem an operator can fix; printed as one line, without a traceback."""


# --------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class StackOutputs:
    """Outputs of one env stack. Access with :meth:`string` / :meth:`strings`, which name what is missing."""

    stack: str
    values: Mapping[str, Any]

    def _get(self, name: str) -> Any:
        if name not in self.values:
            have = ", ".join(sorted(self.values)) or "none"
            raise OpsError(f"stack {self.stack} has no output {name!r} (it has: {have}); deploy the stack first")
        return self.values[name]

    def string(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not value:
            raise OpsError(f"stack {self.stack}: output {name!r} should be a non-empty string, got {value!r}")
        return value

    def strings(self, name: str) -> list[str]:
        value = self._get(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise OpsError(f"stack {self.stack}: output {name!r} should be a non-empty list of strings, got {value!r}")
        return list(value)


def parse_outputs(data: Any, stack: str) -> dict[str, Any]:
    """Plain ``{name: value}`` from either file format.

    * ``terraform output -json``: ``{"name": {"value": ..., "type": ..., "sensitive": ...}}``
    * ``cdktf deploy --outputs-file``: ``{"<stack>": {"name": value}}``
    """
    if not isinstance(data, dict):
        raise OpsError(f"outputs for {stack}: expected a JSON object, got {type(data).__name__}")
    if stack in data and isinstance(data[stack], dict):
        data = data[stack]
    values = {}
    for name, entry in data.items():
        if isinstance(entry, dict) and "value" in entry and ("type" in entry or "sensitive" in entry):
            values[name] = entry["value"]
        else:
            values[name] = entry
    return values


def emulator_credentials(endpoint: str | None) -> dict[str, str]:
    """The emulator's dummy key pair for an env with an ``[aws] endpoint``, else nothing.

    Real credentials from the shell are never sent to the emulator, and an emulator env needs
    none set by hand: ``make data-load ENV=local`` works right after ``make local``.
    """
    if endpoint is None:
        return {}
    from localaws import DUMMY_CREDENTIALS

    return dict(DUMMY_CREDENTIALS)


def _endpoint_of(env: str) -> str | None:
    path = ENVS_DIR / f"{env}.toml"
    return load_env_config(env).aws.endpoint if path.is_file() else None


def _terraform_outputs(stack: str, stacks_dir: Path, endpoint: str | None = None) -> dict[str, Any]:
    from toolchain.terraform import terraform_env  # lazy: only this path needs Terraform

    workdir = stacks_dir / stack
    if not (workdir / "cdk.tf.json").is_file():
        raise OpsError(f"{workdir}/cdk.tf.json does not exist: run `make synth` first (or pass --outputs-file)")
    env = {**terraform_env(), **emulator_credentials(endpoint)}

    def terraform(command: str, *args: str) -> str:
        done = subprocess.run(["terraform", command, *args, "-no-color"], cwd=workdir, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise OpsError(f"terraform {command} in {workdir} failed:\n{done.stderr.strip()}")
        return done.stdout

    if not (workdir / ".terraform").is_dir():
        terraform("init", "-input=false")
    stdout = terraform("output", "-json")
    return parse_outputs(json.loads(stdout or "{}"), stack)


def read_outputs(
    env: str,
    *,
    outputs_file: Path | None = None,
    stacks_dir: Path = STACKS_DIR,
    environ: Mapping[str, str] | None = None,
) -> StackOutputs:
    """The outputs of ``env-<env>``: from ``outputs_file`` / ``$GEOAPP_OUTPUTS_FILE``, else Terraform."""
    stack = env_stack_name(env)
    environ = os.environ if environ is None else environ
    if outputs_file is None and environ.get(OUTPUTS_FILE_VAR):
        outputs_file = Path(environ[OUTPUTS_FILE_VAR])
    if outputs_file is not None:
        try:
            data = json.loads(Path(outputs_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OpsError(f"outputs file {outputs_file} does not exist") from None
        except json.JSONDecodeError as err:
            raise OpsError(f"outputs file {outputs_file} is not JSON: {err}") from None
        values = parse_outputs(data, stack)
    else:
        values = _terraform_outputs(stack, stacks_dir, _endpoint_of(env))
    if not values:
        raise OpsError(f"stack {stack} has no outputs: is it deployed?")
    return StackOutputs(stack=stack, values=values)


# --------------------------------------------------------------------------
# Where the environment's AWS is
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsTarget:
    """Region (and emulator endpoint) of an environment; makes boto3 clients for it."""

    region: str
    endpoint_url: str | None = None
    """Emulator only. Default: real AWS (boto3 still honours ``$AWS_ENDPOINT_URL``)."""

    def client(self, service: str):
        import boto3

        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            credentials = emulator_credentials(self.endpoint_url)
            kwargs.update(
                endpoint_url=self.endpoint_url,
                aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            )
        return boto3.client(service, **kwargs)


def load_env_config(env: str, envs_dir: Path = ENVS_DIR):
    """The validated ``envs/<env>.toml`` (a :class:`environment.config.EnvironmentConfig`)."""
    from environment.config import ConfigError, load_environment

    path = envs_dir / f"{env}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in envs_dir.glob("*.toml"))) or "none"
        raise OpsError(f"no environment {env!r}: {path} does not exist (environments: {known})")
    try:
        config = load_environment(path)
    except ConfigError as err:
        raise OpsError("invalid environment file:\n  " + "\n  ".join(err.problems)) from None
    return config


def aws_target(env: str, envs_dir: Path = ENVS_DIR) -> AwsTarget:
    config = load_env_config(env, envs_dir)
    return AwsTarget(region=config.aws.region, endpoint_url=config.aws.endpoint)


# --------------------------------------------------------------------------
# Shared CLI plumbing for ops commands
# --------------------------------------------------------------------------


def add_env_argument(parser: argparse.ArgumentParser, *, envs_dir: bool = True) -> None:
    """``ENV`` (and ``--envs-dir`` unless a parent parser has it): every ops command that names one environment."""
    parser.add_argument("env", metavar="ENV", help="environment name (envs/ENV.toml, stack env-ENV)")
    if envs_dir:
        parser.add_argument("--envs-dir", type=Path, default=ENVS_DIR, help="folder of environment files (default: envs/)")


def add_env_arguments(parser: argparse.ArgumentParser) -> None:
    """``ENV``, ``--envs-dir`` and ``--outputs-file``: the same on every ops command that reads the stack's outputs."""
    add_env_argument(parser)
    parser.add_argument(
        "--outputs-file",
        type=Path,
        help=f"stack outputs JSON (terraform output -json or cdktf --outputs-file); default ${OUTPUTS_FILE_VAR}, "
        "else `terraform output` in cdktf.out/stacks/env-ENV",
    )


def env_command_parser(module: str, description: str) -> argparse.ArgumentParser:
    """The parser of the ops command ``python -m <module>`` over one environment's stack outputs (:func:`add_env_arguments`)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    add_env_arguments(parser)
    return parser


def run_cli(main_body, argv: Sequence[str] | None, parser: argparse.ArgumentParser) -> int:
    """Parse ``argv``, run ``main_body(args)``; print :class:`OpsError` or an AWS error as one line and return 1."""
    args = parser.parse_args(argv)  # before botocore: `--help` answers without loading it
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return main_body(args)
    except OpsError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as err:  # credentials, permissions, throttling: say which call failed
        print(f"{parser.prog}: AWS error: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1


def _main(args: argparse.Namespace) -> int:
    outputs = read_outputs(args.env, outputs_file=args.outputs_file)
    if args.name is None:
        print(json.dumps(dict(outputs.values), indent=2, sort_keys=True))
        return 0
    value = outputs._get(args.name)
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = env_command_parser("ops.stack_outputs", __doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", help="print only this output (strings raw, others as JSON)")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
