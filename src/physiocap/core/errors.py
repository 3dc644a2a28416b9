"""One exception hierarchy for physiocap.

Every error a user can meet derives from :class:`PhysiocapError` and carries a sentence a
clinician can act on; the CLI and GUI show ``str(error)`` and never a traceback.
"""

from __future__ import annotations


class PhysiocapError(Exception):
    """Base class of every error physiocap raises on purpose."""


class ConfigurationError(PhysiocapError):
    """A parameter, option or protocol variable is invalid."""


class DeviceError(PhysiocapError):
    """A device misbehaved or could not be reached."""

    def __init__(self, message: str, *, device_id: str | None = None) -> None:
        super().__init__(message if device_id is None else f"{device_id}: {message}")
        self.device_id = device_id


class DeviceNotFoundError(DeviceError):
    """No device answered at the given address or name."""


class ConnectionLostError(DeviceError):
    """The link to a device dropped."""


class CommandError(DeviceError):
    """A device refused or failed a command."""

    def __init__(self, message: str, *, device_id: str | None = None, command: str = "") -> None:
        super().__init__(f"command {command!r} failed: {message}" if command else message,
                         device_id=device_id)
        self.command = command


class CommandNotSupportedError(CommandError):
    """The device has no such command (e.g. tare on an IMU)."""


class UnknownDriverError(DeviceError):
    """No driver is registered under the requested name."""


class PacketError(DeviceError):
    """A packet could not be decoded; it is counted and dropped, never propagated to capture."""


class CaptureError(PhysiocapError):
    """The capture engine was used out of order or failed."""


class StorageError(PhysiocapError):
    """A session file could not be read or written."""

    def __init__(self, message: str, *, path: object | None = None) -> None:
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.path = path


class CorruptFileError(StorageError):
    """The file is truncated, damaged or not a physiocap session file."""


class FileLockedError(StorageError):
    """Another process holds the session file open for writing."""


class DiskFullError(StorageError):
    """The disk filled up; the recording was stopped with what was written kept intact."""


class AnalysisError(PhysiocapError):
    """An analysis could not produce a trustworthy result from its input."""


class InputValidationError(AnalysisError, ValueError):
    """The signal given to an algorithm is unsuitable (rate too low, wrong channels, too short)."""
