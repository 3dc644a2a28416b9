"""An emulated BlueZ with firmware models of the supported devices.

* :mod:`.bus` — a private ``dbus-daemon`` standing in for the system bus;
* :mod:`.bluez` — ``org.bluez`` (adapter, devices, GATT) as bleak's BlueZ backend sees it;
* :mod:`.gatt` — the peripherals' GATT model;
* :mod:`.firmware` — per-device firmware models that answer the documented commands and
  stream at the devices' real rates with their timestamp conventions;
* :mod:`.signals` — the deterministic signals the emulated sensors measure (the ground truth
  tests compare decoded samples against).

It needs only ``dbus-daemon`` and dbus-fast (a bleak dependency): no radio, no bluetoothd.
"""
