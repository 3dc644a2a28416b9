"""Norms come from the data file, each with a source, and classify as their sources say."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from physiocap.analysis.norms import load_strength_norms
from physiocap.analysis.norms.strength import parse_strength_norms
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Sex

KGF_N = 9.80665


def raw_norms() -> dict:
    path = resources.files("physiocap.analysis.norms").joinpath("data", "strength_norms.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_value_has_a_source() -> None:
    data = raw_norms()
    for table in ("grip_cutoffs", "knee_extension_reference", "deficit_categories"):
        assert data[table]
        for row in data[table]:
            assert isinstance(row["source"], str), row
            assert len(row["source"]) > 20, row


def test_grip_cutoffs_by_criterion_and_sex_match_clinical_reference() -> None:
    norms = load_strength_norms()
    table = {(c.criterion, c.sex): c.below_kgf for c in norms.grip_cutoffs}
    assert table == {("EWGSOP2", Sex.MALE): 27.0, ("EWGSOP2", Sex.FEMALE): 16.0,
                     ("AWGS 2019", Sex.MALE): 28.0, ("AWGS 2019", Sex.FEMALE): 18.0,
                     ("SDOC", Sex.MALE): 35.5, ("SDOC", Sex.FEMALE): 20.0}


def test_grip_classification_compares_in_newtons() -> None:
    norms = load_strength_norms()
    verdicts = {v.cutoff.criterion: v.below for v in norms.classify_grip(27.5 * KGF_N, Sex.MALE)}
    assert verdicts == {"EWGSOP2": False, "AWGS 2019": True, "SDOC": True}
    women = {v.cutoff.criterion: v.below for v in norms.classify_grip(15.9 * KGF_N, Sex.FEMALE)}
    assert women == {"EWGSOP2": True, "AWGS 2019": True, "SDOC": True}
    assert norms.classify_grip(100.0, Sex.UNKNOWN) == ()


def test_knee_reference_ranges_give_context() -> None:
    norms = load_strength_norms()
    positions = {c.reference.group: c.position for c in norms.knee_context(1.5, Sex.FEMALE)}
    assert positions == {"adult": "below", "older": "within"}
    assert {c.position for c in norms.knee_context(3.6, Sex.MALE)} == {"above"}


@pytest.mark.parametrize(("deficit_pct", "category"), [
    (0.0, "normal"), (9.99, "normal"), (10.0, "possibly abnormal"),
    (19.99, "possibly abnormal"), (20.0, "probably abnormal"), (60.0, "probably abnormal")])
def test_deficit_categories_follow_sapega(deficit_pct: float, category: str) -> None:
    assert load_strength_norms().deficit_category(deficit_pct).category == category


def test_an_unsourced_value_is_refused() -> None:
    data = raw_norms()
    data["grip_cutoffs"][0]["source"] = " "
    with pytest.raises(ConfigurationError, match="without a source"):
        parse_strength_norms(data)


def test_dodds_centiles_are_declared_missing() -> None:
    omitted = load_strength_norms().not_included
    assert any("Dodds" in row["what"] for row in omitted)
