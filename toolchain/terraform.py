"""Environment for running ``terraform`` / ``cdktf`` with the offline provider mirror.

Machines here carry a filesystem mirror of ``hashicorp/aws`` (``/opt/tf-plugins``) and no
route to the Terraform registry. :func:`terraform_env` finds such a mirror and points
Terraform at it through a project-local CLI configuration file; where no mirror exists it
leaves Terraform's normal registry behaviour alone.

Usage from Python::

    subprocess.run(["terraform", "init"], env=terraform_env(), check=True)

Usage from a shell (everything after ``--`` runs in that environment)::

    python -m toolchain.terraform -- terraform init -backend=false
    python -m toolchain.terraform --print          # show the variables it sets

Defaults:

* ``TF_PROVIDER_MIRROR=none`` hides every mirror: Terraform then installs providers from the
  registry, as on GitHub's runners (this shows what a machine without a mirror does).
* Mirror search order: ``$TF_PROVIDER_MIRROR`` (if set), ``/opt/tf-plugins``,
  ``~/.terraform.d/plugins``, ``~/.local/share/terraform/plugins``,
  ``/usr/local/share/terraform/plugins``, ``/usr/share/terraform/plugins``. A directory counts
  as a mirror when it holds ``registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>``.
* CLI configuration written to ``<project>/.cache/terraform/cli.tfrc`` (``<project>`` is the
  repository root).
* ``TF_PLUGIN_CACHE_DIR`` is not set: ``terraform init`` links an unpacked mirror's provider
  into ``.terraform/`` (no 675 MB copy), so a cache would only add a second link.

Provider checksums: the repository's ``.terraform.lock.hcl`` (committed) is the one lock file of
every stack. ``terraform init`` reads the lock file of its working directory only, and cdktf
neither writes nor copies one into ``cdktf.out/stacks/<stack>/``, so ``python -m toolchain.terraform
-- terraform init`` run in a synthesized stack copies it there first, and ``--install-lock STACK``
does the same ahead of synth (CI jobs whose ``terraform init`` runs elsewhere; synth keeps the file).
CI runs every init with ``-lockfile=readonly`` (``TF_CLI_ARGS_init``): a provider whose version or
checksum is not in the committed file fails the job. Regenerate it (here, from the mirror, for
``linux_amd64``)::

    python -m toolchain.terraform --lock-providers

and where the registry is reachable with every platform and provider (the ``provider-lock``
workflow).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""Repository root (the folder holding ``ops/``)."""

DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "terraform"
"""Where the generated CLI configuration and the plugin cache live."""

MIRROR_ENV_VAR = "TF_PROVIDER_MIRROR"
"""Optional override: a mirror root searched before the standard locations, or ``none``."""

NO_MIRROR = "none"
"""``TF_PROVIDER_MIRROR=none``: use no mirror at all (providers come from the registry)."""

STANDARD_MIRROR_DIRS: tuple[Path, ...] = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)
"""Where Terraform's implied local mirrors usually are, plus this workplace's ``/opt/tf-plugins``."""

QUIET_VARS: dict[str, str] = {
    "CHECKPOINT_DISABLE": "1",  # no update check (no network here)
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",  # no Node end-of-life banner
    "JSII_RUNTIME_PACKAGE_CACHE": "enabled",  # ~2x faster cdktf synth from the second run
}
"""Variables set whether or not a mirror is found."""

GO_GC_DEFAULT = "400"
"""``GOGC`` for Terraform and its provider processes unless the caller sets one. Most of a
plan's CPU is the AWS provider building its schema, which is garbage-collection bound: on
env-local's plan (89 resources) GOGC=400 took 16.6-17.7 s of CPU against 23.6-28.0 s at Go's
default 100, for a peak RSS of 835-865 MB against 676 MB per provider process (200: 20.2 s;
800: 17.1 s and 1.1 GB; off: 3.2 GB and a slower run)."""

MIRRORED_NAMESPACE = "registry.terraform.io/hashicorp/*"


def terraform_platform() -> str:
    """Terraform's ``<os>_<arch>`` name for this machine (e.g. ``linux_amd64``)."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{sys.platform.rstrip('0123456789')}_{arch}"


def _is_mirror(root: Path, plat: str) -> bool:
    aws = root / "registry.terraform.io" / "hashicorp" / "aws"
    try:
        return any((version / plat).is_dir() for version in aws.iterdir())
    except OSError:  # missing or unreadable
        return False


def find_provider_mirror(
    search_dirs: Iterable[Path] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    plat: str | None = None,
) -> Path | None:
    """Return the first directory that is a filesystem mirror of ``hashicorp/aws``, or None.

    ``search_dirs`` defaults to ``$TF_PROVIDER_MIRROR`` then :data:`STANDARD_MIRROR_DIRS`;
    ``TF_PROVIDER_MIRROR=none`` makes it None whatever exists.
    """
    env = os.environ if env is None else env
    plat = plat or terraform_platform()
    if env.get(MIRROR_ENV_VAR, "").strip().lower() == NO_MIRROR:
        return None
    if search_dirs is None:
        override = env.get(MIRROR_ENV_VAR)
        search_dirs = ((Path(override),) if override else ()) + STANDARD_MIRROR_DIRS
    for candidate in search_dirs:
        if _is_mirror(Path(candidate), plat):
            return Path(candidate).resolve()
    return None


def render_cli_config(mirror: Path | None) -> str:
    """CLI configuration text: hashicorp providers from ``mirror``, everything else direct.

    ``mirror`` None: every provider from its registry (not even Terraform's implied mirrors).
    """
    if mirror is None:
        return "# Generated by toolchain/terraform.py; do not edit (rewritten on every run).\nprovider_installation {\n  direct {}\n}\n"
    return (
        "# Generated by toolchain/terraform.py; do not edit (rewritten on every run).\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {_hcl_string(str(mirror))}\n"
        f'    include = ["{MIRRORED_NAMESPACE}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{MIRRORED_NAMESPACE}"]\n'
        "  }\n"
        "}\n"
    )


def _hcl_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${")
    return f'"{escaped}"'


def write_cli_config(mirror: Path | None, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """Write the CLI configuration for ``mirror`` under ``cache_dir`` and return its path
    (``cli.tfrc``; without a mirror ``cli-registry.tfrc``, so the two never overwrite each other).

    The write is atomic (temp file + rename) and skipped when the content is unchanged, so
    concurrent callers never see a half-written file.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / ("cli.tfrc" if mirror is not None else "cli-registry.tfrc")
    text = render_cli_config(mirror)
    try:
        if target.read_text(encoding="utf-8") == text:
            return target
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".cli.tfrc.", text=True)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def terraform_env(
    base_env: Mapping[str, str] | None = None,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    search_dirs: Iterable[Path] | None = None,
) -> dict[str, str]:
    """Return a copy of ``base_env`` (default ``os.environ``) ready for terraform / cdktf.

    * Always: :data:`QUIET_VARS`; ``GOGC`` :data:`GO_GC_DEFAULT` unless already set.
    * Mirror found: ``TF_CLI_CONFIG_FILE`` -> generated config using it.
    * ``TF_PROVIDER_MIRROR=none``: ``TF_CLI_CONFIG_FILE`` -> a generated registry-only config.
    * No mirror: Terraform's own behaviour; a ``TF_CLI_CONFIG_FILE`` naming a file that does
      not exist is removed (Terraform would warn on every command), an existing one is kept.
    """
    env = dict(os.environ if base_env is None else base_env)
    env.update(QUIET_VARS)
    env.setdefault("GOGC", GO_GC_DEFAULT)
    mirror = find_provider_mirror(search_dirs, env=env)
    if mirror is not None:
        env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(mirror, cache_dir))
    elif env.get(MIRROR_ENV_VAR, "").strip().lower() == NO_MIRROR:
        env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(None, cache_dir))  # registry only, no implied mirrors
    else:
        configured = env.get("TF_CLI_CONFIG_FILE")
        if configured is not None and not Path(configured).is_file():
            del env["TF_CLI_CONFIG_FILE"]
    return env


# ---- the provider lock file ---------------------------------------------------------------------

PROVIDER_LOCK_FILE = PROJECT_ROOT / ".terraform.lock.hcl"
"""The committed dependency lock file (provider versions and checksums) of every stack."""

STACKS_DIR = PROJECT_ROOT / "cdktf.out" / "stacks"
"""Where ``cdktf synth`` writes one working directory per stack."""

LOCKED_PROVIDERS: dict[str, str] = {"registry.terraform.io/hashicorp/aws": "5.100.0"}
"""What :func:`lock_providers` locks here (the providers the offline mirror holds)."""


def install_lock_file(stack_dir: Path, lock_file: Path = PROVIDER_LOCK_FILE) -> Path:
    """Copy ``lock_file`` into ``stack_dir`` (created when missing, so this may run before synth); return the copy."""
    if not lock_file.is_file():
        raise FileNotFoundError(f"{lock_file}: no provider lock file to install (python -m toolchain.terraform --lock-providers)")
    stack_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(lock_file, stack_dir / lock_file.name))


def init_directory(command: Sequence[str], cwd: Path) -> Path | None:
    """The working directory of a ``terraform [-chdir=DIR] init ...`` command, or None for any other command."""
    if not command or Path(command[0]).name != "terraform":
        return None
    workdir = cwd
    for arg in command[1:]:
        if arg.startswith("-chdir="):
            workdir = cwd / arg.removeprefix("-chdir=")
        elif not arg.startswith("-"):
            return workdir if arg == "init" else None
    return None


def lock_providers(lock_dir: Path = PROJECT_ROOT, *, mirror: Path | None = None, platforms: Sequence[str] = ("linux_amd64",)) -> int:
    """``terraform providers lock`` of :data:`LOCKED_PROVIDERS` from ``mirror`` (default: the one found),
    writing ``lock_dir/.terraform.lock.hcl``; returns Terraform's exit code."""
    mirror = mirror or find_provider_mirror()
    if mirror is None:
        print("tfcli: no provider mirror here; run `terraform providers lock` where the registry is reachable", file=sys.stderr)
        return 1
    required = {name.rsplit("/", 1)[1]: {"source": name, "version": version} for name, version in LOCKED_PROVIDERS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp)
        (config / "providers.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}))
        if (lock_dir / PROVIDER_LOCK_FILE.name).is_file():
            shutil.copyfile(lock_dir / PROVIDER_LOCK_FILE.name, config / PROVIDER_LOCK_FILE.name)
        flags = [f"-fs-mirror={mirror}", *(f"-platform={p}" for p in platforms)]
        code = subprocess.run(
            ["terraform", "providers", "lock", *flags, *LOCKED_PROVIDERS], cwd=config, env=terraform_env(), check=False
        ).returncode
        if code == 0:
            shutil.copyfile(config / PROVIDER_LOCK_FILE.name, lock_dir / PROVIDER_LOCK_FILE.name)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m toolchain.terraform [--print] [-- COMMAND ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m toolchain.terraform",
        description="Run a command (terraform, npx cdktf, ...) with the offline provider mirror.",
    )
    parser.add_argument("--print", action="store_true", help="print the variables this sets (shell syntax)")
    parser.add_argument("--install-lock", nargs="+", metavar="STACK", help="copy .terraform.lock.hcl into cdktf.out/stacks/STACK")
    parser.add_argument("--lock-providers", action="store_true", help="regenerate .terraform.lock.hcl from the mirror (linux_amd64)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command after --")
    args = parser.parse_args(argv)
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if args.install_lock:
        for stack in args.install_lock:
            print(f"tfcli: {install_lock_file(STACKS_DIR / stack)}")
        return 0
    if args.lock_providers:
        return lock_providers()
    workdir = init_directory(command, Path.cwd())
    if workdir is not None and (workdir / "cdk.tf.json").is_file() and PROVIDER_LOCK_FILE.is_file():
        install_lock_file(workdir)
    env = terraform_env()
    if args.print or not command:
        for key in (*QUIET_VARS, "TF_CLI_CONFIG_FILE"):
            if key in env:
                print(f"export {key}={shlex.quote(env[key])}")
        if "TF_CLI_CONFIG_FILE" not in env:
            print("unset TF_CLI_CONFIG_FILE")
        return 0
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except FileNotFoundError:
        print(f"tfcli: command not found: {command[0]}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    raise SystemExit(main())
