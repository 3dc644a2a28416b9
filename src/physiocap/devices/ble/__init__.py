"""Bluetooth Low Energy drivers: the only part of physiocap that imports bleak.

* ``decoders/`` — pure packet decoders (bytes → SI samples + device times), no bleak.
* ``transport`` — the bleak-backed link: scan, connect, notify, serialised commands,
  MTU check, battery, reconnect-and-resubscribe.
* ``drivers/`` — one :class:`~physiocap.devices.base.Driver` per device family.
* ``emulator/`` — an emulated BlueZ (``org.bluez`` on a private D-Bus) with firmware models
  of the supported devices, for tests, benchmarks and the emulated demo.

Importing this package imports nothing from bleak; the submodules that need it do.
"""
