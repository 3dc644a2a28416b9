"""Numbers as clinicians read them: seconds to 0.1 s, walking speed to 0.01 m/s, grip in kg
with newtons beside it (dynamometers display kilograms-force; physiocap stores N), knee
extension in N, N·m and N·m/kg.

The resolutions sit well inside the smallest change that matters for each outcome (TUG
MDC 2.08 s [C7]; gait speed MCID 0.05 m/s [C6a]; grip MCID 5 kg [C5]).
"""

from __future__ import annotations

from physiocap.core.units import n_to_kgf

GRIP_MEASURES = frozenset({"grip_peak_force_n"})


#: Decimals printed per unit.
DECIMALS = {"m/s": 2, "s": 1, "kg": 1}


def _number(value: float, unit: str, signed: bool = False) -> str:
    """``value`` rounded for ``unit``; a value that rounds to zero prints as 0, never -0."""
    decimals = DECIMALS.get(unit, 0)
    rounded = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:{'+' if signed else ''}.{decimals}f}"


def quantity(value: float | None, unit: str, *, grip: bool = False,
             signed: bool = False) -> str:
    """``value`` in ``unit`` as printed; grip forces (N) read ``27.6 kg (271 N)``."""
    if value is None:
        return "—"
    if grip and unit == "N":
        kg = float(n_to_kgf(value))
        return f"{_number(kg, 'kg', signed)} kg ({_number(value, 'N', signed)} N)"
    return f"{_number(value, unit, signed)} {unit}"


def change(delta: float | None, pct: float | None, unit: str, *, grip: bool = False) -> str:
    """A change with its sign, in units and in %: ``+2.9 kg (+28 N), +11 %``."""
    if delta is None:
        return "—"
    text = quantity(delta, unit, grip=grip, signed=True)
    return text if pct is None else f"{text}, {round(pct) + 0:+d} %"


def threshold(value: float, unit: str, grip: bool = False) -> str:
    """A published threshold as printed in its source (``2.08 s``, ``0.19 m/s``); grip in
    kg with newtons beside it."""
    if grip and unit == "N":
        return f"{float(n_to_kgf(value)):.1f} kg ({value:.0f} N)"
    return f"{value:.3g} {unit}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def words(flag: str) -> str:
    """A machine flag (``no_trial_found``) as words."""
    return flag.replace("_", " ")
