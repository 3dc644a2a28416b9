"""Validation statistics against hand-computed truth."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.workflows.validation.statistics import agreement, match_events


def test_agreement_of_a_constant_offset() -> None:
    ref = [1.0, 2.0, 3.0, 4.0, 5.0]
    result = agreement([r + 0.5 for r in ref], ref)
    assert result["mae"] == pytest.approx(0.5)
    assert result["bias"] == pytest.approx(0.5)
    assert result["loa_low"] == pytest.approx(0.5)
    assert result["loa_high"] == pytest.approx(0.5)
    assert result["icc"] < 1.0  # absolute agreement penalises the offset


def test_identical_measures_have_icc_one() -> None:
    values = list(np.linspace(8, 14, 10))
    assert agreement(values, values)["icc"] == pytest.approx(1.0)


def test_matching_is_one_to_one_within_tolerance() -> None:
    tp, fp, fn = match_events(np.array([1.0, 1.05, 2.3]), np.array([1.02, 2.0]), 0.1)
    assert (tp, fp, fn) == (1, 2, 1)
