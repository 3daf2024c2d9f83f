"""checkov gate: every synthesized stack passes checkov, except findings on the reasoned skip list.

The per-stack summary (passed / failed / skipped) and the skip list with reasons are printed
in the terminal summary of the run (tests/gates/conftest.py).
"""

from __future__ import annotations

import json

import pytest

from tests.gates.checkov_gate import NON_REASONS, SKIPS_FILE, gate, load_skips


def test_every_stack_is_scanned(checkov_report, stacks):
    assert set(checkov_report.stacks) == set(stacks)
    assert {s for s in stacks if s.startswith("env-")} and {s for s in stacks if s.startswith("bootstrap-")}
    for name, result in checkov_report.stacks.items():
        assert result.passed > 10, f"{name}: checkov passed only {result.passed} checks: did it read the stack?"


def test_no_failed_check_outside_the_skip_list(checkov_report):
    failures = "\n".join(f"  {f}" for f in checkov_report.failures)
    assert not failures, (
        f"checkov found problems that {SKIPS_FILE.name} does not accept:\n{failures}\n"
        "Fix the construct, or add a skip with an honest reason (see the file's header)."
    )


def test_every_skip_covers_a_finding(checkov_report):
    stale = [s.describe() for s in checkov_report.unused_skips()]
    assert not stale, f"skips that cover nothing any more (remove them from {SKIPS_FILE.name}): {stale}"


def test_every_skip_has_a_reason_that_explains_itself():
    for skip in load_skips():
        words = skip.reason.lower().rstrip(".")
        assert len(skip.reason) >= 60, f"{skip.describe()}: reason too short to explain anything: {skip.reason!r}"
        assert words not in NON_REASONS, f"{skip.describe()}: {skip.reason!r} is not a reason"
        assert skip.check.startswith(("CKV_", "CKV2_")), skip.check
        assert all("*" not in s or s.endswith("*") for s in skip.stacks), skip.stacks


def test_a_malformed_skip_is_refused(tmp_path):
    bad = tmp_path / "skips.yaml"
    bad.write_text("skips:\n  - check: CKV_AWS_1\n    stacks: ['env-*']\n    resources: ['*']\n")
    with pytest.raises(ValueError, match=r"entry 1 \(CKV_AWS_1\): missing \['reason'\]"):
        load_skips(bad)


# ---- unsafe cases: the gate is a check that can fail ----------------------------------------


def _public_bucket(doc: dict) -> None:
    """The assets bucket made public: no public access block, a public-read ACL."""
    resources = doc["resource"]
    del resources["aws_s3_bucket_public_access_block"]
    [bucket] = [b for k, b in resources["aws_s3_bucket"].items() if k.startswith("site_bucket_")]
    bucket["acl"] = "public-read"


def _unencrypted_cluster(doc: dict) -> None:
    [cluster] = doc["resource"]["aws_rds_cluster"].values()
    cluster["storage_encrypted"] = False
    del cluster["kms_key_id"]


def _required_version(doc: dict) -> None:
    doc["terraform"]["required_version"] = ">= 1.11"


@pytest.fixture(scope="module")
def unsafe_report(stacks, tmp_path_factory):
    """One checkov run over copies of env-staging made unsafe in one way each."""
    out = tmp_path_factory.mktemp("unsafe-synth") / "stacks"
    for name, change in {
        "env-unsafe-public-bucket": _public_bucket,
        "env-unsafe-unencrypted-cluster": _unencrypted_cluster,
        "env-staging": _required_version,  # the real stack, plus required_version
    }.items():
        doc = json.loads(json.dumps(stacks["env-staging"]))
        change(doc)
        (out / name).mkdir(parents=True)
        (out / name / "cdk.tf.json").write_text(json.dumps(doc))
    return gate(out, tmp_path_factory.mktemp("unsafe-scan"), load_skips())


def _failed(report, stack: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.stacks[stack].failed:
        found.setdefault(finding.check_id, []).append(finding.resource)
    return found


def test_checkov_fails_a_public_bucket(unsafe_report):
    failed = _failed(unsafe_report, "env-unsafe-public-bucket")
    assert any(r.startswith("aws_s3_bucket.site_bucket_") for r in failed.get("CKV2_AWS_6", [])), failed  # no public access block
    assert any(r.startswith("aws_s3_bucket.site_bucket_") for r in failed.get("CKV_AWS_20", [])), failed  # public-read ACL


def test_checkov_fails_an_unencrypted_cluster(unsafe_report):
    failed = _failed(unsafe_report, "env-unsafe-unencrypted-cluster")
    assert any(r.startswith("aws_rds_cluster.database_cluster_") for r in failed.get("CKV_AWS_96", [])), failed


def test_required_version_does_not_crash_the_gate(unsafe_report):
    """checkov 3.1.47 crashes on terraform.required_version: the gate scans a copy without it, and says so."""
    assert unsafe_report.stripped == {"env-staging": ["terraform.required_version"]}
    assert not unsafe_report.stacks["env-staging"].failed
    assert unsafe_report.stacks["env-staging"].passed > 10
