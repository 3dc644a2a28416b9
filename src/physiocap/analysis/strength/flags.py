"""Quality flags the strength analysis attaches to efforts, sides and trials.

A flag never silently changes a number: it says why a value is missing or should be read
with care. Values are the strings stored in the JSON record.
"""

from __future__ import annotations

import enum


class EffortFlag(enum.StrEnum):
    """About one effort."""

    PRETENSION = "pretension"  # force above baseline before the rise: RFD not computed
    ONSET_BY_THRESHOLD = "onset_by_threshold"  # too few samples to fit the onset
    TRUNCATED = "truncated"  # the recording starts or ends inside the effort
    RFD_SAMPLING_TOO_LOW = "rfd_sampling_too_low"  # rate below what RFD needs: no RFD
    RFD_GAP = "rfd_gap"  # samples missing in an RFD window (gap, recording end): no RFD
    RFD_NOT_APPLICABLE = "rfd_not_applicable"  # tester-paced rise (break test): no RFD
    SHORTER_THAN_PLATEAU = "shorter_than_plateau_window"  # no best 1 s mean
    POSSIBLY_SUBMAXIMAL = "possibly_submaximal"  # well below the side's best effort
    PEAK_SINGLE_SAMPLE_SPIKE = "peak_single_sample_spike"  # the peak sample stands alone
    #: a grip peak beyond what any human produces (norms): newtons stored as kgf?
    BEYOND_HUMAN_GRIP = "beyond_human_grip"


class ResultFlag(enum.StrEnum):
    """About a side or the whole trial."""

    NO_EFFORT_FOUND = "no_effort_found"
    EFFORT_COUNT_MISMATCH = "effort_count_mismatch"  # protocol expects another number
    HIGH_CV = "high_cv"  # trial-to-trial CV above the consistency limit
    NO_REST_BASELINE = "no_rest_baseline"  # no rest seen: the device's own zero is used
    NO_LEVER_ARM = "no_lever_arm"  # knee torque needs the lever arm
    NO_BODY_MASS = "no_body_mass"  # torque per kg needs the body mass
    HAND_HELD = "hand_held"  # the tester's strength may cap a hand-held reading
    BREAK_TEST = "break_test"  # break-test peaks: never trend together with make tests
    NO_FALL_TO_HALF = "no_fall_to_half"  # sustained grip never fell to 50 % of its peak
    #: an effort is flagged beyond_human_grip: check the force's unit before reading on
    BEYOND_HUMAN_GRIP = "beyond_human_grip"
