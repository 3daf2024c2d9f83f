"""Refuse a Terraform plan that would destroy or replace data that cannot be re-created.

    python -m ops.plan_gate PLAN [--allow ADDRESS ...] [--envs envs/]

``PLAN`` is a saved plan (``terraform plan -out=plan.tfplan``; the gate runs ``terraform show
-json`` on it in its directory) or the JSON that command prints (``-`` reads stdin).

Protected resources: every ``aws_rds_cluster`` (the data), every ``aws_kms_key`` (what encrypts
the data and the snapshots), and every ``aws_s3_bucket`` that is a state bucket named in an env
file (``[state] bucket``). A planned ``delete`` of one of them (a destroy, or a replacement,
which Terraform plans as delete + create) fails the gate with exit status 1, before anything is
applied, unless the run names that exact resource address as an override: ``--allow ADDRESS``
or the ``PLAN_GATE_ALLOW`` environment variable (addresses separated by spaces or commas;
``make deploy ALLOW_REPLACE="..."``, or the ``allow_replace`` input of the deploy workflow).
An override that matches nothing is an error too, so a typo cannot pass silently.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ALLOW_ENV_VAR = "PLAN_GATE_ALLOW"

#: Resource types the gate always protects, with what they hold.
PROTECTED_TYPES: dict[str, str] = {
    "aws_rds_cluster": "the database cluster",
    "aws_kms_key": "a KMS key (data and snapshots encrypted with it become unreadable)",
}
STATE_BUCKET_TYPE = "aws_s3_bucket"


class PlanGateError(Exception):
    """The plan could not be read; one line for the operator."""


@dataclass(frozen=True)
class Finding:
    address: str
    actions: tuple[str, ...]
    what: str

    @property
    def verb(self) -> str:
        return "replace" if "create" in self.actions else "destroy"

    def line(self) -> str:
        return f"{self.address}: the plan would {self.verb} {self.what} (actions {'/'.join(self.actions)})"


def state_buckets(env_dirs: Sequence[Path]) -> set[str]:
    """State bucket names of the env files (``[state] bucket``)."""
    from environment.config import load_environments

    return {env.state.bucket for env in load_environments(list(env_dirs))}


def _protected(change: dict, buckets: set[str]) -> str | None:
    kind = change.get("type", "")
    if kind in PROTECTED_TYPES:
        return PROTECTED_TYPES[kind]
    if kind == STATE_BUCKET_TYPE:
        before = (change.get("change") or {}).get("before") or {}
        if before.get("bucket") in buckets:
            return f"the Terraform state bucket {before['bucket']}"
    return None


def findings(plan: dict, buckets: set[str]) -> list[Finding]:
    """Every planned destroy or replacement of a protected resource, in plan order."""
    found = []
    for change in plan.get("resource_changes") or []:
        if change.get("mode", "managed") != "managed":
            continue
        actions = tuple((change.get("change") or {}).get("actions") or ())
        if "delete" not in actions:
            continue
        what = _protected(change, buckets)
        if what is not None:
            found.append(Finding(change["address"], actions, what))
    return found


def parse_allow(values: Iterable[str]) -> set[str]:
    """Addresses from ``--allow`` values and ``PLAN_GATE_ALLOW`` (spaces or commas)."""
    return {a for v in values for a in re.split(r"[\s,]+", v) if a}


def load_plan(path: str) -> dict:
    """The plan as JSON: read it, or ask ``terraform show -json`` for a saved binary plan."""
    if path == "-":
        text = sys.stdin.read()
    else:
        file = Path(path)
        if not file.is_file():
            raise PlanGateError(f"{path}: no such plan file")
        raw = file.read_bytes()
        if raw.lstrip()[:1] == b"{":
            text = raw.decode("utf-8")
        else:
            result = subprocess.run(
                ["terraform", "show", "-json", file.name], cwd=file.parent or ".", capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise PlanGateError(f"terraform show -json {path} failed: {result.stderr.strip().splitlines()[-1:]}")
            text = result.stdout
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as err:
        raise PlanGateError(f"{path}: not a Terraform JSON plan ({err})") from None
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise PlanGateError(f"{path}: not a Terraform JSON plan (no format_version)")
    return plan


def judge(plan: dict, allow: set[str], buckets: set[str]) -> tuple[list[Finding], list[Finding], list[str]]:
    """(refused, allowed, unused overrides)."""
    found = findings(plan, buckets)
    refused = [f for f in found if f.address not in allow]
    allowed = [f for f in found if f.address in allow]
    unused = sorted(allow - {f.address for f in found})
    return refused, allowed, unused


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.plan_gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", help="saved plan file, its `terraform show -json` output, or - for stdin")
    parser.add_argument("--allow", action="append", default=[], metavar="ADDRESS", help="resource address that may be destroyed/replaced")
    parser.add_argument("--envs", action="append", type=Path, default=[], help="env files or dirs naming state buckets (default: envs/)")
    args = parser.parse_args(argv)
    allow = parse_allow([*args.allow, os.environ.get(ALLOW_ENV_VAR, "")])
    try:
        plan = load_plan(args.plan)
        buckets = state_buckets(args.envs or [Path("envs")])
    except PlanGateError as err:
        print(f"plan gate: {err}", file=sys.stderr)
        return 2
    refused, allowed, unused = judge(plan, allow, buckets)
    for finding in allowed:
        print(f"plan gate: ALLOWED by override: {finding.line()}")
    if unused:
        print(f"plan gate: override(s) match no destroy/replace in this plan: {', '.join(unused)}; remove them", file=sys.stderr)
    if refused:
        print("plan gate: REFUSED, nothing was applied:", file=sys.stderr)
        for finding in refused:
            print(f"  - {finding.line()}", file=sys.stderr)
        print(
            "If this is intended, re-run naming each address: make deploy ALLOW_REPLACE='<address> ...' "
            f"(CI: the deploy workflow's allow_replace input; or {ALLOW_ENV_VAR}). "
            "See docs/runbooks/backup-and-restore.md before replacing a database.",
            file=sys.stderr,
        )
    if refused or unused:
        return 1
    print(f"plan gate: ok ({len(plan.get('resource_changes') or [])} resource change(s) checked, none destroys protected data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
