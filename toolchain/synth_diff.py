"""Compare the synthesized JSON of every stack between a git revision and the working tree.

    python -m toolchain.synth_diff               # against HEAD
    python -m toolchain.synth_diff --base REV    # against REV (e.g. the commit before a refactor)
    python -m toolchain.synth_diff --base REV --each-own-envs   # each side with its own envs/

Both sides run ``main.py`` in a fresh process (the base from a temporary ``git worktree``) with
the same ``envs/`` of the working tree, so a difference is a change of the code, not of the
input. With ``--each-own-envs`` each side reads its own ``envs/`` instead: for a change that
moves a setting into the env files (the base's code would refuse the new key). Prints
``identical`` per stack, or each changed JSON path (``resource.aws_s3_bucket.x.tags``) with
both values, and exits 1 when anything differs. A refactor that must not change
behaviour runs this before it is committed; every listed change needs a reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def synth(checkout: Path, out: Path, envs_dir: Path) -> dict[str, Any]:
    """Run ``main.py`` of ``checkout`` into ``out``; return ``{stack: cdk.tf.json}``."""
    env = {
        **os.environ,
        "CDKTF_OUTDIR": str(out),
        "GEOAPP_ENVS_DIR": str(envs_dir),
        "PYTHONPATH": str(checkout),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_RUNTIME_PACKAGE_CACHE": "enabled",
    }
    result = subprocess.run([sys.executable, "main.py"], cwd=checkout, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"synth of {checkout} failed:\n{result.stderr[-4000:]}")
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((out / "stacks").iterdir())}


def differences(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every JSON path where ``before`` and ``after`` differ (missing sides are ``<absent>``)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            sub = f"{path}.{key}" if path else str(key)
            yield from differences(before.get(key, "<absent>"), after.get(key, "<absent>"), sub)
    elif before != after:
        yield path, before, after


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolchain.synth_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="git revision to compare against (default: HEAD)")
    parser.add_argument(
        "--each-own-envs",
        action="store_true",
        help="synthesize the base with its own envs/ (default: both sides with the working tree's envs/)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="synth-diff-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(base), args.base], cwd=ROOT, check=True)
        try:
            before = synth(base, Path(tmp) / "before", (base if args.each_own_envs else ROOT) / "envs")
            after = synth(ROOT, Path(tmp) / "after", ROOT / "envs")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    changed = 0
    for stack in sorted(set(before) | set(after)):
        diffs = list(differences(before.get(stack, {}), after.get(stack, {})))
        print(f"{stack}: {'identical' if not diffs else f'{len(diffs)} change(s)'}")
        for path, old, new in diffs:
            changed += 1
            print(f"  {path}\n    - {json.dumps(old)[:300]}\n    + {json.dumps(new)[:300]}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
