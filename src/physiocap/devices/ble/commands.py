"""One control command in flight at a time, matched to its reply, with a timeout.

Polar, Vernier and Movesense match replies to requests by op-code, rolling counter or
client reference, so a second command sent before the first is answered can be mistaken
for it [D7, D9, D17]. :class:`CommandChannel` serialises writes with a lock, refuses
to send until the reply characteristic is subscribed (a reply sent before that is lost),
and turns silence into a :class:`~physiocap.core.errors.CommandError` naming the device and
the command. The driver's notification handler offers every reply-channel packet to
:meth:`CommandChannel.offer`; the pending request takes the first one its ``match`` accepts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from physiocap.core.errors import CommandError, ConnectionLostError, DeviceError
from physiocap.devices.ble.transport import BleTransport

ReplyMatcher = Callable[[bytes], bool]

#: bleakheart serialises Polar commands with a 10 s timeout [D6].
DEFAULT_TIMEOUT_S = 10.0


class CommandChannel:
    """Serialised request/reply over a write characteristic and a notify characteristic."""

    def __init__(self, transport: BleTransport, *, device_id: Callable[[], str],
                 write_uuid: str, reply_uuid: str, timeout_s: float = DEFAULT_TIMEOUT_S,
                 write_response: bool = True) -> None:
        self.transport = transport
        self.write_uuid = write_uuid
        self.reply_uuid = reply_uuid
        self.timeout_s = timeout_s
        self.write_response = write_response
        self._device_id = device_id
        self._lock = asyncio.Lock()
        self._pending: tuple[ReplyMatcher | None, asyncio.Future[bytes]] | None = None

    async def request(self, command: str, packets: bytes | Sequence[bytes], *,
                      match: ReplyMatcher | None = None, expect_reply: bool = True,
                      timeout_s: float | None = None) -> bytes | None:
        """Write ``packets`` (one command, possibly in chunks) and await the matching reply.

        Raises :class:`CommandError` when the write fails or no reply comes in time, and
        :class:`ConnectionLostError` when the link drops while waiting.
        """
        device_id = self._device_id()
        if not self.transport.is_subscribed(self.reply_uuid):
            raise CommandError(f"subscribe to the reply characteristic {self.reply_uuid} "
                               "before sending commands", device_id=device_id, command=command)
        chunks = [packets] if isinstance(packets, bytes | bytearray) else list(packets)
        limit_s = self.timeout_s if timeout_s is None else timeout_s
        async with self._lock:
            future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            self._pending = (match, future)
            try:
                for chunk in chunks:
                    await self.transport.write(self.write_uuid, bytes(chunk),
                                               response=self.write_response)
                if not expect_reply:
                    return None
                async with asyncio.timeout(limit_s):
                    return await future
            except TimeoutError:
                raise CommandError(f"no reply within {limit_s:g} s", device_id=device_id,
                                   command=command) from None
            except ConnectionLostError:
                raise
            except DeviceError as error:
                raise CommandError(str(error), device_id=device_id, command=command) from error
            finally:
                self._pending = None

    def offer(self, data: bytes) -> bool:
        """Give a reply-channel packet to the pending request; True if it was taken."""
        pending = self._pending
        if pending is None:
            return False
        match, future = pending
        if future.done() or (match is not None and not match(data)):
            return False
        future.set_result(data)
        return True

    def fail_pending(self, reason: str) -> None:
        """The link dropped: the request in flight will never be answered."""
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(ConnectionLostError(reason, device_id=self._device_id()))
