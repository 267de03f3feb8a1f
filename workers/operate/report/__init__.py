"""`canary report`: recorded outcomes per version, the split, and a sequential verdict.

- the arithmetic (Wilson intervals, SPRT, sample-ratio test) is `workers.stats`, pure, shared
  with the guarded rollout's analysis.
- `model`: the report's dataclasses and their JSON form.
- `queries`: the SQL that reads the counters of migration 0003 (and `outcome_figures`, what a
  rollout's analysis reads); `raw_queries`: the same questions of the raw rows, the reference.
- `window`: the time grid on the counters' bins; `sketch`: the latency histogram's reading.
- `build`: `build_report(conn, rollout, since)`, the entry point for the CLI and the demo.
- `render`: the terminal view (tables and the failure-rate chart); `plot`: SVG/PNG files.
"""

from workers.operate.report.build import build_report
from workers.operate.report.model import Report, ReportSettings, Verdict
from workers.operate.report.render import render_report

__all__ = ["Report", "ReportSettings", "Verdict", "build_report", "render_report"]
