"""Benchmark: synthesizing every env stack vs. the floor of loading the AWS bindings.

Prints wall time, CPU time (user + system of the process and every child it waited for: the
jsii Node.js runtime included) and peak memory (the Python process plus its jsii Node.js child,
sampled as one process tree) for:

* floor: a Python process that only imports ``cdktf`` and the provider submodules
  the app uses (found by reading the imports of ``main.py``, ``stacks/`` and ``modules/``);
* floor-gc: the same imports with the cyclic GC paused while they load and the result frozen,
  as ``main.load_bindings`` does (the fair floor for ``main.py``: the GC work it saves, ~2 s
  while loading and ~3 s at exit, is import cost, not synthesis);
* synth: ``python main.py`` writing every stack of ``envs/``, as ``cdktf synth`` runs it.

Runs alternate (floor, floor-gc, synth, ...) so all see the same cache state; the median of
each is reported, with synth's ratio to both floors. Target: synth <= 1.3 x floor (wall). On a
shared, busy machine the wall times wait for the CPU; the CPU ratio is the steadier figure.

Usage: ``python bench/synth.py [--runs 3]``
"""

from __future__ import annotations

import argparse
import ast
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def provider_submodules() -> list[str]:
    """Every ``cdktf_cdktf_provider_aws.<x>`` module imported by the app's code."""
    found = set()
    for path in [ROOT / "main.py", *sorted((ROOT / "stacks").rglob("*.py")), *sorted((ROOT / "modules").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cdktf_cdktf_provider_aws."):
                found.add(node.module)
    return sorted(found)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (bytes) and CPU seconds of the whole process tree."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()[-2000:]}")
    return wall, peak, _children_cpu() - cpu_before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    modules = provider_submodules()
    floor_code = "import cdktf, constructs\n" + "".join(f"import {m}\n" for m in modules)
    floor_gc_code = "import gc\ngc.disable()\n" + floor_code + "gc.freeze()\ngc.enable()\n"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GEOAPP_ENVS_DIR": str(ROOT / "envs"),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_RUNTIME_PACKAGE_CACHE": os.environ.get("JSII_RUNTIME_PACKAGE_CACHE", "enabled"),
    }
    floors, floors_gc, synths = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            floors.append(measure([sys.executable, "-c", floor_code], Path(tmp), env))
            floors_gc.append(measure([sys.executable, "-c", floor_gc_code], Path(tmp), env))
            synths.append(measure([sys.executable, str(ROOT / "main.py")], Path(tmp), env))
        stacks = sorted(p.name for p in (Path(tmp) / "cdktf.out" / "stacks").iterdir())

    def report(label, runs):
        wall = statistics.median(w for w, _, _ in runs)
        mem = statistics.median(m for _, m, _ in runs) / 2**20
        cpu = statistics.median(c for _, _, c in runs)
        print(
            f"{label:<8} wall {wall:6.2f} s   cpu {cpu:6.2f} s   peak RSS {mem:7.0f} MiB   "
            f"(wall runs: {', '.join(f'{w:.2f}' for w, _, _ in runs)}; cpu runs: {', '.join(f'{c:.2f}' for _, _, c in runs)})"
        )
        return wall, mem, cpu

    print(f"provider submodules imported by the app: {len(modules)}; stacks synthesized: {len(stacks)} ({', '.join(stacks)})")
    print(f"JSII_RUNTIME_PACKAGE_CACHE={env['JSII_RUNTIME_PACKAGE_CACHE']}, {args.runs} alternating runs, medians:")
    f_wall, f_mem, f_cpu = report("floor", floors)
    g_wall, g_mem, g_cpu = report("floor-gc", floors_gc)
    s_wall, s_mem, s_cpu = report("synth", synths)
    ratio = s_wall / f_wall
    print(
        f"synth / floor: wall {ratio:.2f}x, cpu {s_cpu / f_cpu:.2f}x, memory {s_mem / f_mem:.2f}x   "
        f"(target wall <= 1.30x: {'met' if ratio <= 1.3 else 'NOT met'})"
    )
    print(
        f"synth / floor-gc: wall {s_wall / g_wall:.2f}x, cpu {s_cpu / g_cpu:.2f}x, memory {s_mem / g_mem:.2f}x   "
        f"(synthesis over the same imports: {s_cpu - g_cpu:.2f} s CPU)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
