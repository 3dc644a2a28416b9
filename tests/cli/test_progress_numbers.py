"""The progress table's numbers: a change that rounds to nothing reads as zero, not '-0'."""

from __future__ import annotations

import pytest

from physiocap.cli.progress_command import _number


@pytest.mark.parametrize(("value", "digits", "expected"),
                         [(-0.3, 0, "+0"), (-0.004, 2, "+0.00"), (-0.6, 0, "-1"),
                          (0.26, 1, "+0.3"), (None, 2, "—")])
def test_signed_changes_never_read_minus_zero(value: float | None, digits: int,
                                              expected: str) -> None:
    assert _number(value, digits, signed=True) == expected
