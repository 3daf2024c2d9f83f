"""What a CI job needs to know about the environments, read from ``envs/*.toml``.

The workflows never hard-code accounts, regions or role ARNs: they ask this module, which
reads the same validated env files the stacks are built from.

    python -m ops.ci matrix [--tier production|nonproduction]   # JSON list of env names ([] if none)
    python -m ops.ci github-environments                         # JSON {env: GitHub environment}
    python -m ops.ci env ENV >> "$GITHUB_OUTPUT"                 # region, account, role ARNs

``matrix`` lists the environments CI works on: in real AWS (no emulator ``[aws] endpoint``) and
with a ``[ci]`` section (the bootstrap stack made their roles), sorted. ``github-environments``
maps each to the GitHub environment whose jobs may deploy it (``[ci] github_environment``, else
its name). ``env`` prints ``key=value`` lines: ``region``, ``account_id``,
``tier``, ``plan_role_arn``, ``deploy_role_arn``, ``frontend_publish_role_arn`` (the role Jenkins
publishes the SPA with, made by the env stack when ``[publish] jenkins_principal_arn`` is set), ``ecr_registry``, ``ecr_repository``, ``image_tag``
(the one the env file names), ``stack``. The role names follow
:func:`environment.names.ci_role_name` (``geoapp-ci-<env>-plan|deploy`` by default), in the
``aws`` partition.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from environment.names import DEFAULT_CI_ROLE_NAME_PREFIX, ci_role_name, frontend_publish_role_name
from ops.stack_outputs import ENVS_DIR, OpsError, add_env_argument, load_env_config, run_cli


def role_arn(account_id: str, env: str, kind: str, prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX) -> str:
    try:
        return f"arn:aws:iam::{account_id}:role/{ci_role_name(env, kind, prefix)}"
    except ValueError as err:
        raise OpsError(str(err)) from None


def cloud_environments(envs_dir: Path = ENVS_DIR, tier: str | None = None) -> list[str]:
    """Env files with CI roles (a ``[ci]`` section) in real AWS; optionally only production or only the others."""
    from environment.config import ConfigError, load_environments

    try:
        envs = load_environments([envs_dir])
    except ConfigError as err:
        raise OpsError("invalid environment files:\n  " + "\n  ".join(err.problems)) from None
    chosen = []
    for env in envs:
        if env.aws.endpoint is not None or getattr(env, "ci", None) is None:
            continue  # the emulator, or no [ci] section: no CI roles exist for it
        if tier == "production" and not env.is_production:
            continue
        if tier == "nonproduction" and env.is_production:
            continue
        chosen.append(env.name)
    return sorted(chosen)


def env_facts(env: str, envs_dir: Path = ENVS_DIR) -> dict[str, str]:
    config = load_env_config(env, envs_dir)
    account, region = config.aws.account_id, config.aws.region
    return {
        "stack": config.stack_name,
        "region": region,
        "account_id": account,
        "tier": config.tier,
        "plan_role_arn": role_arn(account, env, "plan"),
        "deploy_role_arn": role_arn(account, env, "deploy"),
        "frontend_publish_role_arn": f"arn:aws:iam::{account}:role/{frontend_publish_role_name(env)}",
        "ecr_registry": f"{account}.dkr.ecr.{region}.amazonaws.com",
        "ecr_repository": config.api.image.repository,
        "image_tag": config.api.image.tag,
        "github_environment": github_environment(config),
    }


def github_environment(config) -> str:
    """The GitHub environment whose jobs may deploy ``config``: ``[ci] github_environment``, else the env name."""
    ci = getattr(config, "ci", None)
    return (ci.github_environment if ci is not None else None) or config.name


def _main(args: argparse.Namespace) -> int:
    if args.command == "matrix":
        print(json.dumps(cloud_environments(args.envs_dir, args.tier)))  # [] when none: callers skip on '[]'
    elif args.command == "github-environments":
        names = cloud_environments(args.envs_dir)
        print(json.dumps({name: github_environment(load_env_config(name, args.envs_dir)) for name in names}))
    else:
        for key, value in env_facts(args.env, args.envs_dir).items():
            print(f"{key}={value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.ci", description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs-dir", type=Path, default=ENVS_DIR, help="folder of environment files (default: envs/)")
    sub = parser.add_subparsers(dest="command", required=True)
    matrix = sub.add_parser("matrix", help="JSON list of cloud environments")
    matrix.add_argument("--tier", choices=("production", "nonproduction"), help="only these (default: all)")
    sub.add_parser("github-environments", help='JSON {"env": "GitHub environment that may deploy it"}')
    facts = sub.add_parser("env", help="key=value facts of one environment (for $GITHUB_OUTPUT)")
    add_env_argument(facts, envs_dir=False)  # --envs-dir is the parent parser's
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
