"""`make bench`: every benchmark, one after the other. Numbers go to docs/BENCHMARKS.md by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script, args in (("health_bench.py", []), ("render_bench.py", ["--repeat", "3"]),
                     ("validate_bench.py", []), ("plan_bench.py", []), ("service_bench.py", []),
                     ("demo_bench.py", []), ("store_bench.py", []), ("metrics_bench.py", [])):
    print(f"## {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)
