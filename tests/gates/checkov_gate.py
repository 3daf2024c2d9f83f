"""checkov over synthesized stacks, judged against the skip list in ``gates/checkov-skips.yaml``.

checkov (``--framework terraform_json``) runs once over a scan copy of every stack's
``cdk.tf.json``. The copy differs from the original in one way only: scalar entries of the
``terraform`` block (``required_version``) are dropped, because checkov 3.1.47 crashes on
them ("this method receives only dicts"); they are version constraints, not settings a check
looks at. Every failed check is then either covered by a skip (stack glob + resource glob) or
a build failure.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SKIPS_FILE = ROOT / "gates" / "checkov-skips.yaml"
#: Words that are not a reason on their own.
NON_REASONS = ("noisy", "false positive", "not needed", "n/a", "todo", "ignore")


@dataclass(frozen=True)
class Skip:
    check: str
    stacks: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str
    pending_fix: str | None = None

    def covers(self, finding: Finding) -> bool:
        return (
            finding.check_id == self.check
            and any(fnmatch.fnmatchcase(finding.stack, s) for s in self.stacks)
            and any(fnmatch.fnmatchcase(finding.resource, r) for r in self.resources)
        )

    def describe(self) -> str:
        return f"{self.check} [{', '.join(self.stacks)}] {', '.join(self.resources)}"


@dataclass(frozen=True)
class Finding:
    stack: str
    check_id: str
    check_name: str
    resource: str  # "<type>.<logical id>"

    def __str__(self) -> str:
        return f"{self.stack}: {self.check_id} {self.resource} ({self.check_name})"


@dataclass
class StackResult:
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)  # not covered by a skip
    skipped: list[tuple[Finding, Skip]] = field(default_factory=list)


@dataclass
class GateReport:
    checkov_version: str
    seconds: float
    stacks: dict[str, StackResult]
    skips: list[Skip]
    stripped: dict[str, list[str]]

    @property
    def failures(self) -> list[Finding]:
        return [f for result in self.stacks.values() for f in result.failed]

    def unused_skips(self) -> list[Skip]:
        used = {id(skip) for result in self.stacks.values() for _, skip in result.skipped}
        return [skip for skip in self.skips if id(skip) not in used]

    def render(self) -> str:
        lines = [f"checkov {self.checkov_version} --framework terraform_json: {len(self.stacks)} stacks in {self.seconds:.1f} s"]
        lines.append(f"  {'stack':<40} {'passed':>6} {'failed':>6} {'skipped':>7}")
        for name, result in sorted(self.stacks.items()):
            lines.append(f"  {name:<40} {result.passed:>6} {len(result.failed):>6} {len(result.skipped):>7}")
        for finding in self.failures:
            lines.append(f"  FAILED {finding}")
        for stack, keys in sorted(self.stripped.items()):
            lines.append(f"  not scanned in {stack} (checkov crashes on it): {', '.join(keys)}")
        lines.append(f"skip list ({SKIPS_FILE.relative_to(ROOT)}), {len(self.skips)} entries:")
        for skip in self.skips:
            lines.append(f"  - {skip.describe()}")
            lines.append(f"      reason: {skip.reason}")
            if skip.pending_fix:
                lines.append(f"      PENDING FIX: {skip.pending_fix}")
        for skip in self.unused_skips():
            lines.append(f"  STALE (covers nothing): {skip.describe()}")
        return "\n".join(lines)


def load_skips(path: Path = SKIPS_FILE) -> list[Skip]:
    """The skip list; a malformed entry is an error naming the entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    skips, problems = [], []
    for n, entry in enumerate(data.get("skips") or [], start=1):
        missing = [k for k in ("check", "stacks", "resources", "reason") if not entry.get(k)]
        unknown = sorted(set(entry) - {"check", "stacks", "resources", "reason", "pending_fix"})
        if missing or unknown:
            problems.append(f"entry {n} ({entry.get('check', '?')}): missing {missing}, unknown {unknown}")
            continue
        skips.append(
            Skip(
                check=str(entry["check"]),
                stacks=tuple(entry["stacks"]),
                resources=tuple(entry["resources"]),
                reason=" ".join(str(entry["reason"]).split()),
                pending_fix=" ".join(str(entry["pending_fix"]).split()) if entry.get("pending_fix") else None,
            )
        )
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return skips


def prepare_scan_dir(stacks_dir: Path, scan_dir: Path) -> dict[str, list[str]]:
    """Copy each stack's cdk.tf.json into ``scan_dir/<stack>/``, minus what checkov crashes on."""
    stripped: dict[str, list[str]] = {}
    for stack_dir in sorted(p for p in stacks_dir.iterdir() if (p / "cdk.tf.json").is_file()):
        doc = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
        terraform = doc.get("terraform") or {}
        scalars = sorted(k for k, v in terraform.items() if not isinstance(v, dict))
        for key in scalars:
            del terraform[key]
        if scalars:
            stripped[stack_dir.name] = [f"terraform.{k}" for k in scalars]
        (scan_dir / stack_dir.name).mkdir(parents=True, exist_ok=True)
        (scan_dir / stack_dir.name / "cdk.tf.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return stripped


def checkov_command() -> list[str]:
    local = Path(sys.executable).with_name("checkov")
    exe = str(local) if local.exists() else shutil.which("checkov")
    if exe is None:
        raise FileNotFoundError("checkov is not installed (Pipfile dev-packages: checkov)")
    return [exe]


def run_checkov(scan_dir: Path, timeout: float = 600) -> dict:
    """One checkov process over every stack under ``scan_dir``; its JSON report."""
    cmd = [*checkov_command(), "-d", str(scan_dir), "--framework", "terraform_json", "--skip-download", "--output", "json"]
    done = subprocess.run(cmd, cwd=scan_dir, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"checkov did not produce a report (exit {done.returncode}):\n{done.stderr[-4000:]}") from None
    if isinstance(report, list):  # one entry per framework when several ran
        [report] = [r for r in report if r.get("check_type") == "terraform_json"]
    if report.get("summary", {}).get("parsing_errors"):
        raise RuntimeError(f"checkov could not parse some stacks: {report['results'].get('parsing_errors')}")
    return report


def _resource_types(stack_json: Mapping) -> dict[str, str]:
    return {name: rtype for rtype, by_name in (stack_json.get("resource") or {}).items() for name in by_name}


def judge(report: dict, stacks: Mapping[str, Mapping], skips: Iterable[Skip], *, seconds: float, stripped=None) -> GateReport:
    """Split checkov's results per stack into passed / failed / skipped by the skip list."""
    skips = list(skips)
    results = {name: StackResult() for name in stacks}
    types = {name: _resource_types(doc) for name, doc in stacks.items()}

    def stack_of(record: dict) -> str:
        return Path(record["file_path"]).parent.name

    for record in report["results"].get("passed_checks", []):
        results.setdefault(stack_of(record), StackResult()).passed += 1
    for record in report["results"].get("failed_checks", []):
        stack = stack_of(record)
        logical_id = record["resource"].split(".")[-1]
        rtype = types.get(stack, {}).get(logical_id, record["resource"].split(".")[0])
        finding = Finding(stack, record["check_id"], record.get("check_name", ""), f"{rtype}.{logical_id}")
        result = results.setdefault(stack, StackResult())
        skip = next((s for s in skips if s.covers(finding)), None)
        if skip is None:
            result.failed.append(finding)
        else:
            result.skipped.append((finding, skip))
    version = report.get("summary", {}).get("checkov_version", "?")
    return GateReport(checkov_version=version, seconds=seconds, stacks=results, skips=skips, stripped=stripped or {})


def gate(stacks_dir: Path, scan_dir: Path, skips: list[Skip]) -> GateReport:
    """Prepare, scan, judge: the whole checkov gate over one synth output's ``stacks`` folder."""
    stripped = prepare_scan_dir(stacks_dir, scan_dir)
    stacks = {p.name: json.loads((p / "cdk.tf.json").read_text(encoding="utf-8")) for p in sorted(scan_dir.iterdir())}
    started = time.monotonic()
    report = run_checkov(scan_dir)
    return judge(report, stacks, skips, seconds=time.monotonic() - started, stripped=stripped)
