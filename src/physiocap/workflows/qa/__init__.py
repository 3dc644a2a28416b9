"""Device QA (issue 13): guided calibration checks, the registry's use, corrections.

Modules (import them directly; this package imports nothing on purpose, so that the
analysis workflow can use :mod:`corrections` without loading capture):

* :mod:`procedures` — the steps of each check, with the operator's instructions;
* :mod:`session` — :class:`~physiocap.workflows.qa.session.QaCheckSession` records a
  check step by step (live feedback per step) and evaluates and registers it;
* :mod:`evaluate` — a recorded check's session file → estimates and verdict;
* :mod:`simulated` — a simulated operator and whole simulated checks (CLI, demo, tests);
* :mod:`terminal_check` — a check of any driver's device walked through in a terminal;
* :mod:`status` — each device's state (ok, overdue, failed, never checked) and warnings;
* :mod:`corrections` — the latest passing check's correction for a later recording;
* :mod:`surveillance` — still-period drift measures of a study's clinical recordings;
* :mod:`certificate` — a PDF certificate of one check;
* :mod:`demo` — ``physiocap qa demo``.
"""
