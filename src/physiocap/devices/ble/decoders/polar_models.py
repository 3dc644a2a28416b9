"""What each Polar sensor offers over PMD (``documentation/products/*.md`` of polar-ble-sdk,
[D7]): measurement rates and ranges in normal and SDK mode, and the unit of
uncompressed 8-bit ACC frames. Shared by the driver (to validate options before sending)
and the emulator (to answer as the device would)."""

from __future__ import annotations

from dataclasses import dataclass, field

from physiocap.devices.ble.decoders.polar_pmd import PmdMeasurement


@dataclass(frozen=True, slots=True)
class MeasurementOptions:
    rates_hz: tuple[int, ...]
    ranges: tuple[int, ...]  # ±g for ACC, ±deg/s for GYRO
    resolution_bits: int = 16


@dataclass(frozen=True, slots=True)
class PolarModel:
    name: str
    name_prefix: str
    default_rate_hz: int
    normal: dict[PmdMeasurement, MeasurementOptions]
    sdk: dict[PmdMeasurement, MeasurementOptions] = field(default_factory=dict)
    raw_type0_unit_g: bool = False

    def options(self, measurement: PmdMeasurement, sdk_mode: bool) -> MeasurementOptions | None:
        return (self.sdk if sdk_mode else self.normal).get(measurement)

    def needs_sdk_mode(self, measurement: PmdMeasurement, rate_hz: int, range_: int) -> bool:
        """SDK mode is needed when normal mode does not offer this rate and range."""
        normal = self.normal.get(measurement)
        return normal is None or rate_hz not in normal.rates_hz or range_ not in normal.ranges


_SDK_RATES = (26, 52, 104, 208, 416)

POLAR_MODELS: tuple[PolarModel, ...] = (
    PolarModel("Polar H10", "Polar H10", 100, {
        PmdMeasurement.ACC: MeasurementOptions((25, 50, 100, 200), (2, 4, 8))}),
    PolarModel("Polar Verity Sense", "Polar Sense", 52, {
        PmdMeasurement.ACC: MeasurementOptions((52,), (8,)),
        PmdMeasurement.GYRO: MeasurementOptions((52,), (2000,)),
    }, sdk={
        PmdMeasurement.ACC: MeasurementOptions(_SDK_RATES, (2, 4, 8, 16)),
        PmdMeasurement.GYRO: MeasurementOptions(_SDK_RATES, (250, 500, 1000, 2000)),
    }, raw_type0_unit_g=True),
    PolarModel("Polar OH1", "Polar OH1", 50, {
        PmdMeasurement.ACC: MeasurementOptions((50,), (8,))}),
)


def model_for_name(name: str) -> PolarModel | None:
    for model in POLAR_MODELS:
        if name.startswith(model.name_prefix):
            return model
    return None
