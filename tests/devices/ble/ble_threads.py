"""The emulated BlueZ on a thread of its own, for code that runs its own event loop (the
CLI, the capture engine); calls into it go through ``loop.call_soon_threadsafe``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from physiocap.devices.ble.emulator.bluez import EmulatedBluez


@contextmanager
def emulated_bluez_thread(build: Callable[[EmulatedBluez], object], **options: object
                          ) -> Iterator[tuple[EmulatedBluez, asyncio.AbstractEventLoop]]:
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    holder: list[EmulatedBluez] = []

    async def serve() -> None:
        async with EmulatedBluez(adv_interval_s=0.02, **options) as bluez:
            build(bluez)
            holder.append(bluez)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(5), "emulated BlueZ did not start"
    try:
        yield holder[0], loop
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()
