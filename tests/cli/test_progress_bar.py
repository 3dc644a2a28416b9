"""The command line's one progress bar: done/total, rate and ETA by arithmetic on a known
elapsed time; redrawn in place on a terminal, one line per tenth in a log."""

from __future__ import annotations

import io

from physiocap.cli.progress_bar import ProgressBar


def _bar(tty: bool, show_after_s: float = 0.0, seconds_in: float = 10.0
         ) -> tuple[ProgressBar, io.StringIO]:
    stream = io.StringIO()
    bar = ProgressBar("indexing", "files", stream=stream, tty=tty, show_after_s=show_after_s)
    bar.started -= seconds_in
    return bar, stream


def test_rate_and_eta_follow_from_the_elapsed_time() -> None:
    bar, _ = _bar(tty=False)
    # 25 files in 10 s: 2.5 files/s, 75 left: 30 s
    assert bar.text(25, 100) == "indexing: 25/100 files, 2.50/s, ETA 30 s"
    assert bar.text(0, 100).endswith("ETA —")  # nothing done yet: no rate to guess from


def test_a_terminal_gets_one_line_redrawn_in_place_and_a_final_newline() -> None:
    bar, stream = _bar(tty=True)
    for done in range(1, 5):
        bar(done, 4)
    out = stream.getvalue()
    assert out.count("\r") == 4
    assert out.count("\n") == 1
    assert out.endswith("\n")
    assert "[" + "#" * 30 + "] indexing: 4/4 files" in out


def test_a_log_gets_one_line_per_tenth_and_the_last() -> None:
    bar, stream = _bar(tty=False)
    for done in range(1, 101):
        bar(done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # the first item, each further tenth, the last
    assert "\r" not in stream.getvalue()
    assert lines[-1].startswith("indexing: 100/100 files")


def test_short_work_shows_nothing() -> None:
    bar, stream = _bar(tty=True, show_after_s=60.0, seconds_in=0.0)
    for done in range(1, 4):
        bar(done, 3)
    assert stream.getvalue() == ""


def test_a_message_breaks_the_terminal_bar_without_losing_it() -> None:
    bar, stream = _bar(tty=True)
    bar(1, 3)
    bar.message("failed: b.h5: damaged")
    bar(2, 3)
    lines = stream.getvalue().split("\n")
    assert lines[1] == "failed: b.h5: damaged"
    assert "2/3 files" in lines[2]
