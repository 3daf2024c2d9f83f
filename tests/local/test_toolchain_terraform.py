"""toolchain.terraform: Terraform environment for the offline provider mirror."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from toolchain import terraform as tfcli

PLAT = tfcli.terraform_platform()


def make_mirror(root: Path, version: str = "5.100.0") -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / version / PLAT).mkdir(parents=True)
    return root


def test_platform_name_is_terraform_style():
    os_name, arch = PLAT.split("_", 1)
    assert os_name == sys.platform.rstrip("0123456789")
    assert arch and " " not in arch


def test_find_mirror_picks_first_directory_with_the_aws_provider(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    wrong_platform = tmp_path / "wrong"
    (wrong_platform / "registry.terraform.io/hashicorp/aws/5.100.0/plan9_mips").mkdir(parents=True)
    good = make_mirror(tmp_path / "good")
    later = make_mirror(tmp_path / "later")

    found = tfcli.find_provider_mirror([tmp_path / "missing", empty, wrong_platform, good, later], env={})

    assert found == good.resolve()


def test_find_mirror_honours_override_variable_first(tmp_path):
    override = make_mirror(tmp_path / "override")
    assert tfcli.find_provider_mirror(env={tfcli.MIRROR_ENV_VAR: str(override)}) == override


def test_find_mirror_returns_none_when_nothing_matches(tmp_path):
    assert tfcli.find_provider_mirror([tmp_path / "nope"], env={}) is None


def test_env_with_mirror_points_terraform_at_a_generated_config(tmp_path):
    mirror = make_mirror(tmp_path / "mirror")
    base = {"PATH": "/usr/bin", "TF_CLI_CONFIG_FILE": "/does/not/exist", "KEEP": "me"}

    env = tfcli.terraform_env(base, cache_dir=tmp_path / "cache", search_dirs=[mirror])

    assert base["TF_CLI_CONFIG_FILE"] == "/does/not/exist", "caller's mapping must not change"
    config = Path(env["TF_CLI_CONFIG_FILE"])
    assert config == tmp_path / "cache" / "cli.tfrc"
    text = config.read_text()
    assert f'path    = "{mirror.resolve()}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/*"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/*"]' in text
    assert env["KEEP"] == "me" and env["PATH"] == "/usr/bin"
    for key, value in tfcli.QUIET_VARS.items():
        assert env[key] == value
    assert env["GOGC"] == tfcli.GO_GC_DEFAULT, "the provider's schema building is GC bound: ~30% less CPU per command"
    assert tfcli.terraform_env(base | {"GOGC": "100"}, cache_dir=tmp_path / "cache", search_dirs=[mirror])["GOGC"] == "100", (
        "the caller's GOGC wins"
    )


def test_env_without_mirror_drops_only_a_dangling_config_file(tmp_path):
    dangling = {"TF_CLI_CONFIG_FILE": str(tmp_path / "missing.tfrc")}
    env = tfcli.terraform_env(dangling, cache_dir=tmp_path / "cache", search_dirs=[])
    assert "TF_CLI_CONFIG_FILE" not in env
    assert not (tmp_path / "cache").exists(), "no config is written without a mirror"
    assert env["CHECKPOINT_DISABLE"] == "1"

    real = tmp_path / "mine.tfrc"
    real.write_text("# user's own\n")
    env = tfcli.terraform_env({"TF_CLI_CONFIG_FILE": str(real)}, search_dirs=[])
    assert env["TF_CLI_CONFIG_FILE"] == str(real)


def test_config_is_rewritten_when_the_mirror_moves_and_kept_when_not(tmp_path):
    first = make_mirror(tmp_path / "a")
    second = make_mirror(tmp_path / "b")
    cache = tmp_path / "cache"
    path = tfcli.write_cli_config(first, cache)
    stamp = path.stat().st_mtime_ns
    assert tfcli.write_cli_config(first, cache).stat().st_mtime_ns == stamp
    tfcli.write_cli_config(second, cache)
    assert str(second) in path.read_text() and str(first) + '"' not in path.read_text()
    assert [p.name for p in cache.iterdir()] == ["cli.tfrc"], "no temp files left behind"


def test_hcl_string_escapes_quotes_and_interpolation():
    assert tfcli._hcl_string('a"b\\c${x}') == '"a\\"b\\\\c$${x}"'


def test_cli_runs_the_command_after_double_dash_in_that_env():
    code = "import os,sys; sys.exit(0 if os.environ['CHECKPOINT_DISABLE']=='1' else 3)"
    assert tfcli.main(["--", sys.executable, "-c", code]) == 0
    assert tfcli.main(["--", sys.executable, "-c", "import sys; sys.exit(7)"]) == 7
    assert tfcli.main(["--", "no-such-command-xyz"]) == 127


def test_none_hides_every_mirror_and_forces_the_registry(tmp_path):
    mirror = make_mirror(tmp_path / "mirror")
    hidden = {tfcli.MIRROR_ENV_VAR: "none"}
    assert tfcli.find_provider_mirror([mirror], env=hidden) is None
    env = tfcli.terraform_env(hidden, cache_dir=tmp_path / "cache", search_dirs=[mirror])
    text = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert "filesystem_mirror" not in text and "direct {}" in text
    assert Path(env["TF_CLI_CONFIG_FILE"]).name != "cli.tfrc", "must not overwrite the mirror config others use"


def test_terraform_init_installs_the_pinned_provider_from_mirror_or_registry(tmp_path):
    """``terraform init`` gets hashicorp/aws from the local mirror when there is one, else from
    the registry (GitHub's runners); with neither it fails, naming both (never skips)."""
    (tmp_path / "main.tf.json").write_text(
        json.dumps({"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}})
    )
    env = tfcli.terraform_env(cache_dir=tmp_path / "cache")
    mirror = tfcli.find_provider_mirror(env=env)
    result = subprocess.run(
        ["terraform", "init", "-input=false", "-no-color", "-backend=false"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    source = f"the mirror {mirror}" if mirror else f"the registry (no mirror; {tfcli.MIRROR_ENV_VAR}={env.get(tfcli.MIRROR_ENV_VAR)!r})"
    assert result.returncode == 0, f"terraform init could not install hashicorp/aws from {source}:\n{result.stdout}{result.stderr}"
    assert "Installed hashicorp/aws v5.100.0" in result.stdout
    assert ("unauthenticated" in result.stdout) == (mirror is not None), f"provider did not come from {source}:\n{result.stdout}"
