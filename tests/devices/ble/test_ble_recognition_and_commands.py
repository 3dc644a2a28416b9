"""Advertisement recognition, the command channel's rules and the reconnection schedule."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from physiocap.core.errors import CommandError, ConnectionLostError, DeviceError
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.movesense import GSP_SERVICE_UUID
from physiocap.devices.ble.drivers.movesense import MovesenseDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.recognition import MOVELLA_COMPANY_ID, recognise
from physiocap.devices.ble.transport import ReconnectPolicy


@pytest.mark.parametrize(("name", "uuids", "companies", "driver"), [
    ("Movesense 204730000081", (), (), "movesense"),
    (None, (GSP_SERVICE_UUID.upper(),), (), "movesense"),
    ("Polar Sense B5A1C2D3", (), (), "polar"),
    ("Polar H10 0A1B2C3D", (), (), "polar"),
    ("Progressor_7493", (), (), "tindeq"),
    ("GDX-HD 151000C1", (), (), "gdx-hd"),
    ("Movella DOT", (), (), "movella-dot"),
    (None, (), (MOVELLA_COMPANY_ID,), "movella-dot"),
    ("WT901BLE68", (), (), "witmotion"),
    (None, ("0000181d-0000-1000-8000-00805f9b34fb",), (), "sig-force"),
])
def test_supported_advertisements_are_recognised(name, uuids, companies, driver) -> None:
    signature = recognise(name, uuids, companies)
    assert signature is not None
    assert signature.driver == driver


@pytest.mark.parametrize("name", [None, "Kettle", "Polar Verity", "GDX-ACC 0A", "Pixel 7"])
def test_other_devices_are_not(name) -> None:
    assert recognise(name, ("0000180f-0000-1000-8000-00805f9b34fb",)) is None


def test_reconnect_schedule_backs_off_to_its_ceiling() -> None:
    policy = ReconnectPolicy(first_delay_s=0.2, backoff=2.0, max_delay_s=1.0)
    assert list(itertools.islice(policy.delays(), 5)) == [0.2, 0.4, 0.8, 1.0, 1.0]


class StubTransport:
    """Records writes; ``subscribed`` says whether replies can arrive."""

    def __init__(self, subscribed: bool = True) -> None:
        self.subscribed = subscribed
        self.writes: list[bytes] = []
        self.fail_writes = False

    def is_subscribed(self, uuid: str) -> bool:
        return self.subscribed

    async def write(self, uuid: str, data: bytes, *, response: bool = True) -> None:
        if self.fail_writes:
            raise DeviceError("write not permitted", device_id="stub")
        self.writes.append(data)
        await asyncio.sleep(0)


def channel(transport: StubTransport, timeout_s: float = 0.2) -> CommandChannel:
    return CommandChannel(transport, device_id=lambda: "dev-1", write_uuid="w", reply_uuid="r",
                          timeout_s=timeout_s)


def test_commands_before_subscribing_are_refused() -> None:
    async def scenario() -> None:
        with pytest.raises(CommandError, match="subscribe to the reply characteristic"):
            await channel(StubTransport(subscribed=False)).request("HELLO", b"\x00\x01")

    asyncio.run(scenario())


def test_a_second_command_waits_for_the_first_reply() -> None:
    async def scenario() -> list[bytes]:
        transport = StubTransport()
        commands = channel(transport, timeout_s=2.0)
        first = asyncio.create_task(commands.request("A", b"A", match=lambda d: d == b"a"))
        second = asyncio.create_task(commands.request("B", b"B", match=lambda d: d == b"b"))
        await asyncio.sleep(0.05)
        assert transport.writes == [b"A"]  # B is held back until A is answered
        assert not commands.offer(b"b")     # not the reply A is waiting for
        assert commands.offer(b"a")
        await asyncio.sleep(0.05)
        assert transport.writes == [b"A", b"B"]
        assert commands.offer(b"b")
        return [await first, await second]

    assert asyncio.run(scenario()) == [b"a", b"b"]


def test_silence_and_failed_writes_name_device_and_command() -> None:
    async def scenario() -> None:
        transport = StubTransport()
        with pytest.raises(CommandError, match=r"dev-1: command 'START' failed: no reply"):
            await channel(transport).request("START", b"\x02")
        transport.fail_writes = True
        with pytest.raises(CommandError, match=r"dev-1: command 'STOP' failed: .*not permitted"):
            await channel(transport).request("STOP", b"\x03")

    asyncio.run(scenario())


def test_link_loss_fails_the_pending_command() -> None:
    async def scenario() -> None:
        commands = channel(StubTransport(), timeout_s=5.0)
        pending = asyncio.create_task(commands.request("HELLO", b"\x00\x01"))
        await asyncio.sleep(0.02)
        commands.fail_pending("link lost")
        with pytest.raises(ConnectionLostError, match="link lost"):
            await pending

    asyncio.run(scenario())


@pytest.mark.ble
def test_small_mtu_is_logged_as_a_warning(run_emulated, caplog) -> None:
    async def scenario(bluez: EmulatedBluez) -> None:
        MovesenseFirmware(bluez, "AA:BB:CC:00:06:01", mtu=23)
        driver = MovesenseDriver("AA:BB:CC:00:06:01")
        await driver.connect()
        await driver.disconnect()

    with caplog.at_level(logging.INFO, logger="physiocap.devices.ble.transport"):
        run_emulated(scenario)
    assert any(record.levelno == logging.WARNING and "MTU is 23 bytes but 155" in record.message
               for record in caplog.records)
