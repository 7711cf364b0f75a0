"""The progress report (voortgangsrapportage) of one case: HTML (printable, offline) or Markdown.

    from engine.report import render_report
    html = render_report(engine, case_data, "html")

All three pilots kept a progress report per participant (seed:L2541, L2552, L2600). It shows
what they measured: the radar of the first and the latest assessment, the ladder, GAS, the
IGM from T0 to T1, the timeline of interventions with their results, what is due and the
current step plan. Jinja2 templates with autoescaping; no clock (the date on it is as_of).
"""
from __future__ import annotations

from .render import report_context, render_report

__all__ = ["render_report", "report_context"]
