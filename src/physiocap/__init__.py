"""physiocap: capture and analysis of clinical functional tests from Bluetooth sensors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("physiocap")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
