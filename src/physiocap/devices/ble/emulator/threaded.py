"""The emulated BlueZ on a thread and event loop of its own.

Code that runs its own loop — the CLI, the capture engine — cannot share the emulator's
loop, so the emulator gets one: ``with EmulatedBluezThread(build) as emulated:`` starts it,
calls ``build(bluez)`` on its loop to create the devices, and ``emulated.call(fn, *args)``
runs a function there later (``drop_link`` mid-trial, say). D-Bus decouples the two sides.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from physiocap.core.errors import ConfigurationError
from physiocap.devices.ble.emulator.bluez import EmulatedBluez


class EmulatedBluezThread:
    def __init__(self, build: Callable[[EmulatedBluez], object], *,
                 adv_interval_s: float = 0.02, **options: Any) -> None:
        self._build = build
        self._options = {"adv_interval_s": adv_interval_s, **options}
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_until_complete,
                                        args=(self._serve(),), name="emulated-bluez",
                                        daemon=True)
        self._bluez: EmulatedBluez | None = None
        self._failure: BaseException | None = None

    async def _serve(self) -> None:
        try:
            async with EmulatedBluez(**self._options) as bluez:
                self._build(bluez)
                self._bluez = bluez
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:
            self._failure = error
            self._ready.set()
            raise

    @property
    def bluez(self) -> EmulatedBluez:
        if self._bluez is None:
            raise ConfigurationError("the emulated BlueZ is not running")
        return self._bluez

    def call(self, function: Callable[..., object], *args: object) -> None:
        """Run ``function(*args)`` on the emulator's loop (returns at once)."""
        self._loop.call_soon_threadsafe(function, *args)

    def start(self, timeout_s: float = 5.0) -> EmulatedBluezThread:
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._failure is not None:
            raise ConfigurationError(f"the emulated BlueZ did not start: {self._failure}")
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout_s)
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> EmulatedBluezThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
