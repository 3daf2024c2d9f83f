"""No secret-looking value anywhere in the synthesized output (what ``cdktf synth`` writes to cdktf.out)."""

from __future__ import annotations

import base64
import json
import secrets

import jwt
import pytest

from tests.gates.conftest import add_report_section
from tests.gates.secret_scan import ALLOWED_HIGH_ENTROPY, ALLOWED_SECRET_NAMED, scan_tree


def test_synthesized_output_holds_no_secret_looking_value(synth_dir):
    findings, files = scan_tree(synth_dir)
    stacks = len(list((synth_dir / "stacks").iterdir()))
    assert files >= stacks + 1  # manifest.json + one cdk.tf.json per stack
    add_report_section(
        "secret scan",
        f"{files} files under cdktf.out scanned: {len(findings)} finding(s); "
        f"allow-list: {len(ALLOWED_HIGH_ENTROPY)} identifier shapes, {len(ALLOWED_SECRET_NAMED)} secret-named keys",
    )
    assert not findings, "secret-looking values in the synthesized output:\n" + "\n".join(f"  {f}" for f in findings)


def test_every_allow_list_entry_says_what_it_is():
    for pattern, why in ALLOWED_HIGH_ENTROPY:
        assert len(why) >= 30, pattern.pattern
    for key, value, why in ALLOWED_SECRET_NAMED:
        assert len(why) >= 30, (key.pattern, value.pattern)


def _aws_key():
    return "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _tag(value):
    return lambda doc: next(iter(doc["resource"]["aws_rds_cluster"].values())).setdefault("tags", {}).update(Note=value)


def _attr(rtype, key, value):
    return lambda doc: next(iter(doc["resource"][rtype].values())).update({key: value})


def _container_env(name, value):
    def change(doc):
        task = next(t for t in doc["resource"]["aws_ecs_task_definition"].values() if t["family"].endswith("-api"))
        defs = json.loads(task["container_definitions"])
        defs[0]["environment"].append({"name": name, "value": value})
        task["container_definitions"] = json.dumps(defs)

    return change


UNSAFE = {
    "AWS access key in a tag": (lambda: _tag(_aws_key()), "AWS Access Key"),
    "private key PEM header": (lambda: _attr("aws_secretsmanager_secret", "description", "-----BEGIN PRIVATE KEY-----"), "PEM private key"),
    "JWT in a container's environment": (
        lambda: _container_env("BOOTSTRAP_JWT", jwt.encode({"sub": "ops"}, secrets.token_hex(32), algorithm="HS256")),
        "JSON Web Token",
    ),
    "Slack token in a description": (
        lambda: _attr("aws_kms_key", "description", "alerts via xoxb-1234567890-1234567890123-" + secrets.token_hex(12)),
        "Slack Token",
    ),
    "GitHub token in a tag": (lambda: _tag("ghp_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]), "GitHub Token"),
    "literal master_password": (
        lambda: _attr("aws_rds_cluster", "master_password", "correct-horse-battery"),
        "secret-named key 'master_password'",
    ),
    'password = "..." inside jsonencode': (
        lambda: _attr("aws_secretsmanager_secret", "description", '${jsonencode({"user" = "admin", "password" = "Tr0ub4dor&3"})}'),
        "literal assigned to 'password'",
    ),
    "plaintext DB_PASSWORD in a container": (lambda: _container_env("DB_PASSWORD", "hunter2"), "secret-named key 'DB_PASSWORD'"),
    "random base64 in a tag (high entropy)": (lambda: _tag(base64.b64encode(secrets.token_bytes(30)).decode()), "high-entropy string"),
    "random hex in a description (high entropy)": (
        lambda: _attr("aws_kms_key", "description", secrets.token_hex(24)),
        "high-entropy hex",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_secret_scan_catches_an_injected_secret(stacks, tmp_path, case):
    make_change, expected_kind = UNSAFE[case]
    doc = json.loads(json.dumps(stacks["env-staging"]))
    make_change()(doc)
    (tmp_path / "stacks" / "env-staging").mkdir(parents=True)
    (tmp_path / "stacks" / "env-staging" / "cdk.tf.json").write_text(json.dumps(doc, indent=2))
    findings, _ = scan_tree(tmp_path)
    assert any(expected_kind in f.kind for f in findings), [str(f) for f in findings]
    assert all("..." in f.excerpt or len(f.excerpt) <= 12 for f in findings)  # the report never prints a whole secret
