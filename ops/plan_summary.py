"""Summarise a saved Terraform plan as Markdown (job summary, PR comment) and as an exit code.

Usage (after ``make plan ENV=staging``, which saves ``cdktf.out/stacks/env-staging/plan.tfplan``)::

    python -m ops.plan_summary staging --markdown plan.md
    python -m ops.plan_summary staging --detailed-exitcode      # drift check: 0 none, 1 error, 2 changes

``--detailed-exitcode`` gives ``terraform plan -detailed-exitcode``'s answer (0: no changes,
1: error, 2: changes) from the saved plan. The drift workflow uses it because ``make`` turns
every non-zero exit of a recipe into its own 2, which would make "drift" and "error" look alike.

The summary reads ``terraform show -json`` (the documented machine-readable plan format): counts
as Terraform prints them (a replacement counts as one add and one destroy), one table row per
changed resource, changes made outside Terraform (``resource_drift``), output changes, and the
human-readable ``terraform show`` text folded under a ``<details>`` (cut at
:data:`MAX_TEXT_CHARS`, since a PR comment holds at most 65,536 characters).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from environment.names import env_stack_name
from ops.stack_outputs import STACKS_DIR, OpsError, add_env_argument, run_cli

PLAN_FILE = "plan.tfplan"
"""Name ``make plan`` saves the plan under, in the stack's folder."""
MAX_TEXT_CHARS = 50_000

_SYMBOLS = {"create": "+ create", "update": "~ update", "delete": "- destroy", "replace": "-/+ replace", "read": "<= read"}


@dataclass
class PlanSummary:
    stack: str
    changes: list[tuple[str, str]] = field(default_factory=list)
    """``(action, address)`` for every resource that would change."""
    drift: list[tuple[str, str]] = field(default_factory=list)
    """``(action, address)`` of changes made outside Terraform, seen during refresh."""
    outputs: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""

    def count(self, action: str) -> int:
        return sum(1 for a, _ in self.changes if a == action)

    @property
    def to_add(self) -> int:
        return self.count("create") + self.count("replace")

    @property
    def to_change(self) -> int:
        return self.count("update")

    @property
    def to_destroy(self) -> int:
        return self.count("delete") + self.count("replace")

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.outputs)

    def headline(self) -> str:
        if not self.has_changes:
            return "No changes. Infrastructure matches the configuration."
        line = f"{self.to_add} to add, {self.to_change} to change, {self.to_destroy} to destroy"
        if self.count("replace"):
            line += f" ({self.count('replace')} replaced)"
        if self.outputs and not self.changes:
            line += f"; {len(self.outputs)} output(s) change"
        return line

    def markdown(self, title: str | None = None) -> str:
        lines = [f"### {title or f'Plan: {self.stack}'}", "", f"**{self.headline()}**", ""]
        if self.changes:
            lines += ["| Action | Resource |", "|---|---|"]
            lines += [f"| `{_SYMBOLS.get(a, a)}` | `{addr}` |" for a, addr in self.changes]
            lines.append("")
        if self.drift:
            lines += ["Changed outside Terraform (seen while refreshing):", ""]
            lines += [f"- `{addr}` ({a})" for a, addr in self.drift]
            lines.append("")
        if self.outputs:
            lines += ["Outputs: " + ", ".join(f"`{name}` ({a})" for a, name in self.outputs), ""]
        if self.text:
            text = self.text if len(self.text) <= MAX_TEXT_CHARS else self.text[:MAX_TEXT_CHARS] + "\n... (cut; see the job log)"
            lines += ["<details><summary>terraform show</summary>", "", "```text", text.rstrip(), "```", "", "</details>", ""]
        return "\n".join(lines)


def _action(actions: list[str]) -> str | None:
    """Terraform's action list as one word; None for no-op."""
    if actions in (["no-op"], []):
        return None
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    return actions[0]


def summarize(plan_json: dict, stack: str, text: str = "") -> PlanSummary:
    """A :class:`PlanSummary` from ``terraform show -json PLAN`` output."""
    if "resource_changes" not in plan_json and "format_version" not in plan_json:
        raise OpsError("not a Terraform plan (no format_version / resource_changes)")
    summary = PlanSummary(stack=stack, text=text)
    for change in plan_json.get("resource_changes", []):
        action = _action(change["change"]["actions"])
        if action is not None and action != "read":
            summary.changes.append((action, change["address"]))
    for change in plan_json.get("resource_drift", []):
        action = _action(change["change"]["actions"])
        if action is not None:
            summary.drift.append((action, change["address"]))
    for name, change in sorted(plan_json.get("output_changes", {}).items()):
        action = _action(change["actions"])
        if action is not None:
            summary.outputs.append((action, name))
    return summary


def _show(workdir: Path, plan: Path, *json_flag: str) -> str:
    from toolchain.terraform import terraform_env

    done = subprocess.run(
        ["terraform", "show", "-no-color", *json_flag, str(plan)],
        cwd=workdir,
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise OpsError(f"terraform show {plan} failed:\n{done.stderr.strip()}")
    return done.stdout


def read_plan(workdir: Path, plan: Path | None = None, *, stack: str | None = None) -> PlanSummary:
    plan = plan or workdir / PLAN_FILE
    if not plan.is_file():
        raise OpsError(f"no saved plan at {plan}: did `make plan` succeed?")
    data = json.loads(_show(workdir, plan, "-json"))
    return summarize(data, stack or workdir.name, text=_show(workdir, plan))


def _main(args: argparse.Namespace) -> int:
    workdir = args.stacks_dir / env_stack_name(args.env)
    summary = read_plan(workdir, args.plan, stack=env_stack_name(args.env))
    title = args.title or (f"Drift check: {summary.stack}" if args.detailed_exitcode else None)
    markdown = summary.markdown(title)
    if args.markdown:
        args.markdown.write_text(markdown, encoding="utf-8")
    print(f"{summary.stack}: {summary.headline()}")
    for action, address in summary.changes:
        print(f"  {_SYMBOLS.get(action, action):>11}  {address}")
    if args.detailed_exitcode and summary.has_changes:
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.plan_summary", description=__doc__.split("\n\n")[0])
    add_env_argument(parser, envs_dir=False)
    parser.add_argument("--plan", type=Path, help=f"saved plan (default: cdktf.out/stacks/env-ENV/{PLAN_FILE})")
    parser.add_argument("--stacks-dir", type=Path, default=STACKS_DIR, help="synthesized stacks (default: cdktf.out/stacks)")
    parser.add_argument("--markdown", type=Path, help="write the Markdown summary here")
    parser.add_argument("--title", help="heading of the Markdown summary")
    parser.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when the plan has changes (drift)")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
