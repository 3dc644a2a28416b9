"""Protocol variables are validated against their ranges and choices."""

from __future__ import annotations

import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import TestKind
from physiocap.workflows.protocols import BATTERY


def test_every_test_of_the_battery_has_instructions_and_a_source() -> None:
    assert set(BATTERY) == {TestKind.TUG, TestKind.GAIT_SPEED, TestKind.SIT_TO_STAND,
                            TestKind.GRIP, TestKind.KNEE_EXTENSION}
    for protocol in BATTERY.values():
        assert protocol.instructions
        assert protocol.source
        assert protocol.resolve() == protocol.defaults()


def test_overrides_are_validated_and_merged_with_defaults() -> None:
    resolved = BATTERY[TestKind.GAIT_SPEED].resolve({"distance_m": "10", "start_type": "dynamic"})
    assert resolved["distance_m"] == 10.0
    assert resolved["start_type"] == "dynamic"
    assert resolved["pace"] == "comfortable"


@pytest.mark.parametrize(("test", "values", "message"), [
    (TestKind.TUG, {"chair_height_m": 1.5}, "outside"),
    (TestKind.TUG, {"turn_direction": "up"}, "not one of"),
    (TestKind.GRIP, {"hold_s": "long"}, "not a number"),
    (TestKind.KNEE_EXTENSION, {"lever_arm": 0.3}, "unknown"),
    (TestKind.SIT_TO_STAND, {"arms_folded": "yes"}, "yes/no"),
])
def test_invalid_protocol_values_are_refused_with_the_reason(test: TestKind, values: dict,
                                                             message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        BATTERY[test].resolve(values)


def test_a_measured_sensor_height_is_optional_and_wins_over_the_estimate() -> None:
    from physiocap.analysis.gait.stride_speed import SENSOR_HEIGHT_PER_BODY_HEIGHT
    from physiocap.core.records import Participant
    from physiocap.workflows.analyze import lower_back_sensor_height_m

    gait = BATTERY[TestKind.GAIT_SPEED]
    assert gait.resolve()["sensor_height_m"] is None
    measured = gait.resolve({"sensor_height_m": 0.96})
    tall = Participant("P-1", height_m=1.80)
    assert lower_back_sensor_height_m(measured, tall) == pytest.approx(0.96)
    assert lower_back_sensor_height_m(gait.resolve(), tall) == pytest.approx(
        SENSOR_HEIGHT_PER_BODY_HEIGHT * 1.80)
    assert lower_back_sensor_height_m(gait.resolve(), Participant("P-2")) is None
    with pytest.raises(ConfigurationError, match="outside"):
        gait.resolve({"sensor_height_m": 2.5})


def test_southampton_alternates_hands_starting_right_and_other_tests_keep_their_side() -> None:
    from physiocap.core.records import Side
    from physiocap.workflows.protocols import trial_side

    southampton = BATTERY[TestKind.GRIP].resolve({"protocol": "southampton"})
    assert [trial_side(TestKind.GRIP, southampton, k) for k in range(1, 7)] == [
        Side.RIGHT, Side.LEFT] * 3  # Roberts et al. 2011: 3 per hand, right first
    asht_left = BATTERY[TestKind.GRIP].resolve({"protocol": "asht", "side": "left"})
    assert trial_side(TestKind.GRIP, asht_left, 2) is Side.LEFT
    assert trial_side(TestKind.TUG, BATTERY[TestKind.TUG].resolve(), 1) is Side.NONE
