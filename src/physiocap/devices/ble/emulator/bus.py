"""A private D-Bus system bus: ``dbus-daemon`` on a temporary socket, no root needed.

bleak's BlueZ backend only talks to ``org.bluez`` on the system bus, whose address it reads
from ``DBUS_SYSTEM_BUS_ADDRESS`` each time it opens a connection [D22]. Pointing
that variable at a private daemon lets the emulated BlueZ and the real bleak backend meet
without touching the machine's Bluetooth.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from physiocap.core.errors import ConfigurationError

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""

ADDRESS_VARIABLE = "DBUS_SYSTEM_BUS_ADDRESS"


def dbus_daemon_path() -> str | None:
    """Where ``dbus-daemon`` is (Debian package ``dbus-daemon``/``dbus``), or ``None``."""
    return shutil.which("dbus-daemon")


class PrivateSystemBus:
    """Runs a private system-like bus; use as a context manager.

    On entry the daemon is started, its address read from its first output line (which
    also means it is ready) and ``DBUS_SYSTEM_BUS_ADDRESS`` pointed at it; on exit the
    variable is restored and the daemon stopped.
    """

    def __init__(self) -> None:
        self.address = ""
        self._process: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._previous: str | None = None

    def start(self) -> str:
        daemon = dbus_daemon_path()
        if daemon is None:
            raise ConfigurationError("dbus-daemon is not installed (Debian: apt-get install "
                                     "dbus-daemon); the emulated BlueZ needs it")
        self._tmp = tempfile.TemporaryDirectory(prefix="physiocap-bus-")
        config = Path(self._tmp.name) / "bus.conf"
        config.write_text(_CONFIG.format(socket=Path(self._tmp.name) / "system_bus_socket"))
        self._process = subprocess.Popen(
            [daemon, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line:
            self.stop()
            raise ConfigurationError("dbus-daemon did not start")
        self.address = line.split(",guid=")[0]
        self._previous = os.environ.get(ADDRESS_VARIABLE)
        os.environ[ADDRESS_VARIABLE] = self.address
        return self.address

    @property
    def pid(self) -> int:
        """Process id of the running dbus-daemon."""
        if self._process is None:
            raise ConfigurationError("the private bus is not running")
        return self._process.pid

    def stop(self) -> None:
        if self._previous is None:
            os.environ.pop(ADDRESS_VARIABLE, None)
        else:
            os.environ[ADDRESS_VARIABLE] = self._previous
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PrivateSystemBus:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
