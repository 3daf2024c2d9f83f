"""Benchmark: the wall time of a first and a second ``make local`` (deploy plus data plane).

Runs ``python -m ops.local up`` twice on a copy of envs/local.toml with its own emulator port,
output dir and state dir (so a running ``make local`` is not touched), then ``down``. Prints
the total of each run and the steps ``up`` reports (synth, bootstrap, apply, dataplane, data
load, publish site). Targets on a 2-core machine (issue 12): first <= 4 min, second <= 30 s.

Usage: ``python bench/local_up.py [--keep]`` (``--keep``: leave it running, print where)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localaws import free_port  # noqa: E402

STEPS = re.compile(r"env-local is up \((?P<steps>[^)]*)\)")


def run_up(env_file: Path, out: Path, state: Path) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "ops.local", "up", "--env", str(env_file), "--out", str(out), "--state-dir", str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"ops.local up failed after {seconds:.0f} s:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    match = STEPS.search(result.stdout)
    return seconds, match.group("steps") if match else "(no step times printed)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave the environment running")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-local-"))
    env_file = work / "envs" / "local.toml"
    env_file.parent.mkdir()
    text = (ROOT / "envs" / "local.toml").read_text()
    env_file.write_text(re.sub(r"http://127\.0\.0\.1:\d+", f"http://127.0.0.1:{free_port()}", text, count=1))
    out, state = work / "cdktf.out", work / "state"
    figures = []
    try:
        for label in ("first make local (deploy + data plane)", "second make local (no change)"):
            seconds, steps = run_up(env_file, out, state)
            figures.append((label, seconds, steps))
            print(f"{label:42s} {seconds:7.1f} s   [{steps}]", flush=True)
    finally:
        if args.keep:
            print(f"left running: python -m ops.local down --env {env_file} --out {out} --state-dir {state}")
        else:
            subprocess.run(
                [sys.executable, "-m", "ops.local", "down", "--env", str(env_file), "--out", str(out), "--state-dir", str(state)],
                cwd=ROOT,
                capture_output=True,
                check=False,
            )
    first, second = figures[0][1], figures[1][1]
    print(f"targets: first <= 240 s ({'met' if first <= 240 else 'NOT met'}), second <= 30 s ({'met' if second <= 30 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
