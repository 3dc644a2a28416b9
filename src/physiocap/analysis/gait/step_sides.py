"""Which foot made each initial contact: left or right.

From a lower-back IMU (any mounting) four signatures of the stepping side are summed, each
with its sign fixed by mechanics rather than by the sensor's axes, each in units of its
typical size during the walk, all weighted equally:

* **Lateral velocity of the trunk at the contact.** In the frontal plane the body moves
  like an inverted pendulum from one stance foot to the other: the centre of mass sways
  towards the stance leg, reverses at mid-stance and, around double support, moves fastest
  towards the foot that has just landed (MacKinnon & Winter 1993, J Biomech 26:633;
  Hof et al. 2005, J Biomech 38:1). So at a left initial contact the lower back moves
  left.
* **Lateral acceleration during loading response** (the first ≈ 10 % of the cycle,
  ≈ 0.1 s, Perry & Burnfield, Gait Analysis, 2nd ed. 2010). The landing foot lies to the
  side of the centre of mass, so the ground pushes the body medially, away from that
  foot, and brakes the sway just described (Winter 1995, Gait Posture 3:193): after a
  left contact the lower back accelerates to the right.
* **Roll during loading response.** As weight passes onto the landing leg the pelvis
  drops on the other side, now unloaded (contralateral pelvic drop, Perry & Burnfield):
  after a left contact the right side goes down, a rotation about the forward axis that
  lifts the left side.
* **Yaw rate at the contact.** McCamley et al. (2012, Gait Posture 36:316) found the
  band-passed vertical angular velocity of the lower trunk negative (clockwise seen from
  above) at left initial contacts and positive at right ones: the pelvis is still rotating
  the side of the landing foot forward when it lands. Mobilise-D keeps this rule
  (mobgap ``LrcMcCamley``; Ullrich et al. 2021, IEEE EMBC, band-pass 0.5-2 Hz).

The sway cues are band-passed around the stride frequency; the loading-response cues are
high-passed above it (they are brief) and averaged over the window after the contact.

"Up" comes from gravity (``BodyFrameEstimator``). "Forward" is estimated, not assumed:
walking exchanges kinetic and potential energy like an inverted pendulum (Cavagna et al.
1977, Am J Physiol 233:R243), so the body decelerates while it rises and speeds up while
it falls; forward is the horizontal direction whose acceleration is most negatively
correlated with the vertical velocity. Left = up × forward. Only the yaw rate needs no
forward direction: when that direction does not show clearly, it alone is used.

Steps alternate. The per-contact evidence is therefore decoded over the whole sequence
(Viterbi, two states): successive contacts change side unless the interval between them
spans an even number of typical steps (a missed contact), and a long pause starts afresh.
An isolated contradicting contact is overruled by its neighbours; when the evidence
disagrees with the decoded sides too often the result says ``sides_ambiguous``.

Foot sensors and a thigh sensor whose side is known give the side more directly
(:class:`FootSideLabeler`, :class:`ThighStepSideClassifier`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from physiocap.analysis.signal.frame import BodyFrameEstimator
from physiocap.analysis.signal.resampling import ImuSignal, UniformResampler
from physiocap.core.errors import InputValidationError
from physiocap.core.records import Side


@dataclass(frozen=True)
class StepSides:
    """Initial contacts with the side of the foot that made each.

    ``evidence`` is the per-contact score before the sequence decoding (positive = left,
    in units of its typical size; zero when the side is known from the sensor),
    ``agreement`` the fraction of contacts whose own evidence agrees with the decoded side.
    """

    contacts_s: np.ndarray
    is_left: np.ndarray  # bool per contact
    evidence: np.ndarray
    agreement: float
    method: str
    flags: tuple[str, ...] = ()

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(Side.LEFT if left else Side.RIGHT for left in self.is_left)

    @property
    def left_contacts_s(self) -> np.ndarray:
        return self.contacts_s[self.is_left]

    @property
    def right_contacts_s(self) -> np.ndarray:
        return self.contacts_s[~self.is_left]


def _sorted_contacts(contacts_s: np.ndarray) -> np.ndarray:
    contacts = np.sort(np.asarray(contacts_s, dtype=float).ravel())
    if not np.all(np.isfinite(contacts)):
        raise InputValidationError("contact times must be finite numbers (s)")
    return contacts


def _bandpass(values: np.ndarray, low_hz: float, high_hz: float, rate_hz: float) -> np.ndarray:
    sos = signal.butter(2, [low_hz, high_hz], btype="bandpass", fs=rate_hz, output="sos")
    padlen = min(values.shape[0] - 1, 3 * (2 * len(sos) + 1) * 4)
    return signal.sosfiltfilt(sos, values, axis=0, padlen=max(padlen, 0))


def _highpass(values: np.ndarray, cutoff_hz: float, rate_hz: float) -> np.ndarray:
    sos = signal.butter(2, cutoff_hz, btype="highpass", fs=rate_hz, output="sos")
    padlen = min(values.shape[0] - 1, 3 * (2 * len(sos) + 1) * 4)
    return signal.sosfiltfilt(sos, values, axis=0, padlen=max(padlen, 0))


def _mean_ahead(values: np.ndarray, window_samples: int) -> np.ndarray:
    """Mean of ``values`` over the ``window_samples`` starting at each sample."""
    window = max(int(window_samples), 1)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    stop = np.minimum(np.arange(len(values)) + window, len(values))
    start = np.arange(len(values))
    return (cumulative[stop] - cumulative[start]) / (stop - start)


def _walking_mask(time_s: np.ndarray, contacts: np.ndarray, margin_s: float) -> np.ndarray:
    """Samples within ``margin_s`` of a contact: the walking the typical sizes of the
    signals (and the forward direction) are measured on."""
    nearest = np.searchsorted(contacts, time_s)
    after = np.abs(contacts[np.clip(nearest, 0, len(contacts) - 1)] - time_s)
    before = np.abs(contacts[np.clip(nearest - 1, 0, len(contacts) - 1)] - time_s)
    mask = np.minimum(after, before) <= margin_s
    if not mask.any():
        raise InputValidationError("the contacts lie outside the recording")
    return mask


def _checked_contacts(contacts_s: np.ndarray) -> np.ndarray:
    contacts = _sorted_contacts(contacts_s)
    if len(contacts) < 2:
        raise InputValidationError("telling steps apart needs at least two contacts")
    return contacts


def _sample_index(imu: ImuSignal, times_s: np.ndarray) -> np.ndarray:
    index = np.round((times_s - imu.time_s[0]) * imu.rate_hz).astype(int)
    return np.clip(index, 0, len(imu.time_s) - 1)


class AlternationDecoder:
    """Most likely left/right sequence given per-contact evidence and that steps alternate
    (Viterbi decoding of a two-state chain).

    The interval between successive contacts, in typical (median) steps, sets how likely
    the side changes. Within ``step_tolerance`` of one step: the other foot, except with
    ``alternation_error_rate`` (healthy and pathological gait alike alternate, so it is
    small; what remains is a mis-detection). Within ``step_tolerance`` of two or three
    steps (contacts missed in between): the same or the other foot, trusted less
    (``missed_contact_error_rate``). Any other interval (a pause longer than
    ``max_gap_steps``, a turn on the spot, a spurious contact half a step away) says
    nothing about the sides. ``evidence_gain``: log-odds of "left" per unit of evidence.
    """

    def __init__(self, alternation_error_rate: float = 0.05,
                 missed_contact_error_rate: float = 0.25, step_tolerance: float = 0.25,
                 max_gap_steps: float = 3.5, evidence_gain: float = 2.0) -> None:
        self.alternation_error_rate = alternation_error_rate
        self.missed_contact_error_rate = missed_contact_error_rate
        self.step_tolerance = step_tolerance
        self.max_gap_steps = max_gap_steps
        self.evidence_gain = evidence_gain

    def decode(self, contacts_s: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """``True`` where the decoded side is left; contacts in time order (s), evidence
        per contact (positive = left)."""
        n = len(contacts_s)
        if len(evidence) != n:
            raise InputValidationError(f"{n} contacts but {len(evidence)} evidence values")
        if n == 0:
            return np.zeros(0, dtype=bool)
        intervals = np.diff(contacts_s)
        typical = float(np.median(intervals)) if n > 1 else 1.0
        # log-likelihoods of (left, right) per contact: logistic in the evidence
        score = self.evidence_gain * np.asarray(evidence, dtype=float)
        emission = np.stack([-np.logaddexp(0.0, -score), -np.logaddexp(0.0, score)], axis=1)
        eps = self.alternation_error_rate
        total = emission[0].copy()
        back = np.zeros((n, 2), dtype=int)
        for k in range(1, n):
            steps = intervals[k - 1] / typical
            whole = round(steps)
            if 1 <= whole <= self.max_gap_steps and abs(steps - whole) <= self.step_tolerance:
                error = eps if whole == 1 else self.missed_contact_error_rate
                p_switch = 1.0 - error if whole % 2 == 1 else error
            else:
                p_switch = 0.5
            log_stay, log_switch = np.log(1.0 - p_switch), np.log(p_switch)
            # transition[i, j]: from state i to state j (0 = left, 1 = right)
            transition = np.array([[log_stay, log_switch], [log_switch, log_stay]])
            candidates = total[:, None] + transition
            back[k] = np.argmax(candidates, axis=0)
            total = candidates[back[k], [0, 1]] + emission[k]
        states = np.zeros(n, dtype=int)
        states[-1] = int(np.argmax(total))
        for k in range(n - 1, 0, -1):
            states[k - 1] = back[k, states[k]]
        return states == 0


class StepSideClassifier:
    """Left/right of each initial contact from a lower-back IMU (module docstring).

    ``band_low_hz``–``band_high_hz`` keeps the stride-frequency sway (0.5-2 Hz as
    Ullrich et al. 2021 filter the yaw rate) and removes drift and heel-strike transients;
    above ``band_high_hz`` lie the loading-response cues, averaged over
    ``loading_response_s`` after each contact (≈ 10 % of a 1 s stride, Perry & Burnfield).
    ``walking_margin_s``: samples this close to a contact count as walking when the
    forward direction and the signals' typical sizes are estimated.
    ``min_forward_correlation``: below it the forward direction (hence the lateral
    velocity's sign) is not trusted and only the yaw rate is used.
    ``min_agreement``: below this fraction of contacts agreeing with the decoded sides the
    result is flagged ``sides_ambiguous``.
    """

    method = "lower_back_sway_loading_and_yaw"

    def __init__(self, band_low_hz: float = 0.5, band_high_hz: float = 2.0,
                 loading_response_s: float = 0.1, walking_margin_s: float = 0.6,
                 min_forward_correlation: float = 0.3, min_agreement: float = 0.7,
                 decoder: AlternationDecoder | None = None) -> None:
        self.band_low_hz = band_low_hz
        self.band_high_hz = band_high_hz
        self.loading_response_s = loading_response_s
        self.walking_margin_s = walking_margin_s
        self.min_forward_correlation = min_forward_correlation
        self.min_agreement = min_agreement
        self.decoder = decoder or AlternationDecoder()

    def classify(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                 gyro_rad_per_s: np.ndarray, contacts_s: np.ndarray) -> StepSides:
        """Sides of ``contacts_s`` (s, same clock as ``time_s``), e.g. a gait analysis's
        detected initial contacts."""
        imu = UniformResampler().resample(time_s, acc_m_per_s2, gyro_rad_per_s)
        return self.classify_signal(imu, contacts_s)

    def classify_signal(self, imu: ImuSignal, contacts_s: np.ndarray) -> StepSides:
        """As :meth:`classify`, on an already resampled signal."""
        contacts = _checked_contacts(contacts_s)
        frame = BodyFrameEstimator().estimate(imu)
        walking = _walking_mask(imu.time_s, contacts, self.walking_margin_s)
        flags: list[str] = []
        band = (self.band_low_hz, self.band_high_hz, imu.rate_hz)
        index = _sample_index(imu, contacts)
        left_unit, correlation = self._left_direction(frame.up_unit, frame.vertical_acc_m_per_s2,
                                                      frame.horizontal_acc_m_per_s2,
                                                      imu.rate_hz, walking)
        # McCamley: clockwise (negative) yaw rate at a left contact
        cues = [-_bandpass(frame.yaw_rate_rad_per_s, *band)]
        if correlation >= self.min_forward_correlation:
            lateral = np.einsum("ij,ij->i", frame.horizontal_acc_m_per_s2, left_unit)
            forward = np.cross(left_unit, frame.up_unit)
            roll = np.einsum("ij,ij->i", imu.gyro_rad_per_s, forward)  # + lifts the left
            velocity = _bandpass(np.cumsum(_bandpass(lateral, *band)) / imu.rate_hz, *band)
            loading = round(self.loading_response_s * imu.rate_hz)
            cues += [velocity,
                     -_mean_ahead(_highpass(lateral, self.band_high_hz, imu.rate_hz), loading),
                     _mean_ahead(_highpass(roll, self.band_high_hz, imu.rate_hz), loading)]
        else:
            flags.append("forward_direction_uncertain")
        evidence = sum(cue[index] / self._typical(cue, walking) for cue in cues)
        is_left = self.decoder.decode(contacts, evidence)
        agreement = float(np.mean((evidence > 0) == is_left))
        if agreement < self.min_agreement:
            flags.append("sides_ambiguous")
        return StepSides(contacts, is_left, evidence, agreement, self.method, tuple(flags))

    @staticmethod
    def _typical(values: np.ndarray, walking: np.ndarray) -> float:
        size = float(np.sqrt(np.mean(values[walking] ** 2)))
        return size if size > 0 else 1.0

    def _left_direction(self, up: np.ndarray, vertical_acc: np.ndarray,
                        horizontal_acc: np.ndarray, rate_hz: float,
                        walking: np.ndarray) -> tuple[np.ndarray, float]:
        """Per-sample unit vector pointing left, and how strongly the forward direction
        shows (correlation of forward acceleration with minus the vertical velocity)."""
        band = (self.band_low_hz, 2.0 * self.band_high_hz, rate_hz)
        vertical_velocity = _bandpass(np.cumsum(_bandpass(vertical_acc, *band)) / rate_hz,
                                      *band)
        horizontal = _bandpass(horizontal_acc, *band)
        covariance = -np.mean(horizontal[walking] * vertical_velocity[walking, None], axis=0)
        forward = covariance - (up @ covariance)[:, None] * up
        forward /= np.maximum(np.linalg.norm(forward, axis=1), 1e-12)[:, None]
        along = np.einsum("ij,ij->i", horizontal, forward)[walking]
        velocity = vertical_velocity[walking]
        spread = float(np.std(along) * np.std(velocity))
        correlation = float(-np.mean((along - along.mean()) * (velocity - velocity.mean()))
                            / spread) if spread > 0 else 0.0
        left = np.cross(up, forward)
        return left / np.maximum(np.linalg.norm(left, axis=1), 1e-12)[:, None], correlation


class FootSideLabeler:
    """Contacts detected on each foot's own sensor carry that foot's side."""

    method = "foot_sensor_side"

    def label(self, left_contacts_s: np.ndarray, right_contacts_s: np.ndarray) -> StepSides:
        left = _sorted_contacts(left_contacts_s)
        right = _sorted_contacts(right_contacts_s)
        contacts = np.concatenate([left, right])
        is_left = np.concatenate([np.ones(len(left), bool), np.zeros(len(right), bool)])
        order = np.argsort(contacts, kind="stable")
        return StepSides(contacts[order], is_left[order], np.zeros(len(contacts)), 1.0,
                         self.method)


class ThighStepSideClassifier:
    """Left/right of each contact from one thigh sensor whose side is known.

    The thigh swings forward in its own leg's swing and is near full flexion when that foot
    lands, near full extension when the other foot lands (hip flexion ≈ 20° at initial
    contact, extension ≈ 10-20° at the opposite contact; Perry & Burnfield, Gait Analysis,
    2nd ed. 2010). The sagittal rotation is the gyroscope's main axis; which way along it
    is flexion follows from the swing being quicker than stance (≈ 40 % against 60 % of
    the cycle for the same excursion, ibid.), so the angular velocity's larger excursions
    are flexion. The thigh angle at a contact (band-passed, so drift and posture drop out)
    is the per-contact evidence, decoded with alternation as for the lower back.
    """

    method = "thigh_sagittal_angle"

    def __init__(self, sensor_side: Side | str, band_low_hz: float = 0.5,
                 band_high_hz: float = 2.0, walking_margin_s: float = 0.6,
                 min_agreement: float = 0.7, decoder: AlternationDecoder | None = None) -> None:
        if sensor_side not in (Side.LEFT, Side.RIGHT):
            raise InputValidationError(
                f"the thigh sensor's side must be left or right, got {sensor_side!r}")
        self.sensor_side = Side(sensor_side)
        self.band_low_hz = band_low_hz
        self.band_high_hz = band_high_hz
        self.walking_margin_s = walking_margin_s
        self.min_agreement = min_agreement
        self.decoder = decoder or AlternationDecoder()

    def classify(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                 gyro_rad_per_s: np.ndarray, contacts_s: np.ndarray) -> StepSides:
        """Sides of ``contacts_s`` (s, same clock as ``time_s``)."""
        contacts = _checked_contacts(contacts_s)
        imu = UniformResampler().resample(time_s, acc_m_per_s2, gyro_rad_per_s)
        walking = _walking_mask(imu.time_s, contacts, self.walking_margin_s)
        gyro = imu.gyro_rad_per_s - imu.gyro_rad_per_s[walking].mean(axis=0)
        _, _, vt = np.linalg.svd(gyro[walking], full_matrices=False)
        sagittal = gyro @ vt[0]
        # the swing's peak rate lasts a few tenths of a second: up to 4× the stride band
        # keeps it and leaves out the heel-strike jolts, whose sign says nothing of flexion
        lowpassed = _bandpass(sagittal, self.band_low_hz, 4.0 * self.band_high_hz, imu.rate_hz)
        skew = float(np.mean(lowpassed[walking] ** 3))
        flexion_rate = sagittal if skew >= 0 else -sagittal
        angle = _bandpass(np.cumsum(flexion_rate) / imu.rate_hz, self.band_low_hz,
                          self.band_high_hz, imu.rate_hz)
        size = float(np.sqrt(np.mean(angle[walking] ** 2))) or 1.0
        own = angle[_sample_index(imu, contacts)] / size
        evidence = own if self.sensor_side is Side.LEFT else -own
        is_left = self.decoder.decode(contacts, evidence)
        agreement = float(np.mean((evidence > 0) == is_left))
        flags = ("sides_ambiguous",) if agreement < self.min_agreement else ()
        return StepSides(contacts, is_left, evidence, agreement, self.method, flags)
