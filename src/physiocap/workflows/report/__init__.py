"""Visit reports: a PDF a physiotherapist can file or hand to the oncologist.

:func:`write_visit_report` is the one entry point the CLI and the GUI call;
:func:`build_visit_report` gives the same content as data (tests, other layouts).
"""

from physiocap.workflows.report.content import VisitReport, build_visit_report
from physiocap.workflows.report.writer import write_visit_report

__all__ = ["VisitReport", "build_visit_report", "write_visit_report"]
