"""Stream specs convert device counts to SI; units follow their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.core import units
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant
from physiocap.core.streams import SampleBlock, StreamSpec


def test_integer_stream_converts_counts_with_scale_and_offset() -> None:
    # LSM6DSL ±16 g: 0.488 mg/LSB (datasheet DocID028165 Table 3)
    lsb = 0.488e-3 * units.STANDARD_GRAVITY_M_PER_S2
    spec = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0, dtype="int16",
                      scale=(lsb,) * 3, offset=(0.0, 0.0, 1.0))
    raw = np.array([[2049, 0, -2049]], dtype=np.int16)
    si = spec.to_si(raw)
    assert spec.is_integer
    assert si[0, 0] == pytest.approx(9.8066, abs=1e-3)  # 2049 LSB ≈ 1 g
    assert si[0, 2] == pytest.approx(1.0 - 9.8066, abs=1e-3)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"units": ("N",)}, "units"),
    ({"nominal_rate_hz": 0.0}, "rate"),
    ({"name": "a/b"}, "name"),
    ({"scale": (1.0,)}, "scale"),
])
def test_stream_spec_rejects_inconsistent_definitions(kwargs: dict, message: str) -> None:
    arguments = {"name": "acc", "channels": ("x", "y"), "units": ("m/s^2", "m/s^2"),
                 "nominal_rate_hz": 100.0} | kwargs
    with pytest.raises(ValueError, match=message):
        StreamSpec(**arguments)


def test_sample_block_checks_device_times_match_samples() -> None:
    with pytest.raises(ValueError, match="device times"):
        SampleBlock("dev", "acc", np.zeros((4, 3)), host_time_s=0.0, sequence=0,
                    first_sample_index=0, device_time_s=np.zeros(3))


def test_unit_conversions_follow_definitions() -> None:
    assert units.kgf_to_n(1.0) == pytest.approx(9.80665)
    assert units.n_to_kgf(units.kgf_to_n(27.0)) == pytest.approx(27.0)
    assert units.lbf_to_n(1.0) == pytest.approx(4.4482216152605)  # NIST SP 811 B.9
    assert units.deg_to_rad(180.0) == pytest.approx(np.pi)
    assert units.g_to_m_per_s2(np.array([1.0]))[0] == pytest.approx(9.80665)


@pytest.mark.parametrize("bad_id", ["", "Jane Doe", "../etc", "a/b", "x" * 65])
def test_participant_ids_must_be_safe_pseudonyms(bad_id: str) -> None:
    with pytest.raises(ConfigurationError):
        Participant(bad_id)


def test_participant_rejects_implausible_body_measures() -> None:
    with pytest.raises(ConfigurationError, match="height"):
        Participant("P001", height_m=17.0)
