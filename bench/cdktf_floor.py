"""Benchmark: what cdktf itself costs for an app of this one's shape, with no app code at all.

``bench/synth.py`` compares ``main.py`` with a process that only imports the bindings. This
script measures the part in between that no app can avoid: the same imports (GC paused and
frozen, as ``main.load_bindings`` does), then an ``App`` with ``--stacks`` stacks holding
``--resources`` resources in all (``aws_ssm_parameter``, four arguments each, one of them a
reference read from the previous resource, i.e. one jsii create and one attribute read per
resource), and ``app.synth()``. Printed: CPU (user + system, Python and its jsii Node.js
children) of that process and of the bare import, the difference, and the difference per
resource. The app's own figure (~570 constructs, ~1,250 jsii round trips, 6 stacks) is the
default shape.

Usage: ``python bench/cdktf_floor.py [--runs 3] [--resources 570] [--stacks 6]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from synth import provider_submodules  # noqa: E402

APP = """
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

app = App(outdir="out")
per_stack = {resources} // {stacks}
for s in range({stacks}):
    stack = TerraformStack(app, f"stack-{{s}}")
    AwsProvider(stack, "aws", region="us-east-1")
    previous = "root"
    for r in range(per_stack):
        parameter = SsmParameter(stack, f"p{{r}}", name=f"/floor/{{s}}/{{r}}", type="String", value=previous, description="x")
        previous = parameter.arn
app.synth()
"""


def cpu_of(cmd: list[str], cwd: str, env: dict) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resources", type=int, default=570)
    parser.add_argument("--stacks", type=int, default=6)
    args = parser.parse_args()

    imports = "import gc\ngc.disable()\nimport cdktf, constructs\n" + "".join(f"import {m}\n" for m in provider_submodules())
    imports += "gc.freeze()\ngc.enable()\n"
    app = imports + APP.format(resources=args.resources, stacks=args.stacks)
    env = {**os.environ, "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1", "JSII_RUNTIME_PACKAGE_CACHE": "enabled"}
    floor, synth = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            floor.append(cpu_of([sys.executable, "-c", imports], tmp, env))
            synth.append(cpu_of([sys.executable, "-c", app], tmp, env))
    f, s = statistics.median(floor), statistics.median(synth)
    print(f"{args.resources} resources in {args.stacks} stacks, {args.runs} alternating runs, CPU medians (load {os.getloadavg()[0]:.1f}):")
    print(f"imports only        {f:6.2f} s   (runs {', '.join(f'{x:.2f}' for x in floor)})")
    print(f"imports + cdktf app {s:6.2f} s   (runs {', '.join(f'{x:.2f}' for x in synth)})")
    print(f"cdktf's own work    {s - f:6.2f} s   ({(s - f) / args.resources * 1000:.2f} ms per resource); ratio {s / f:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
