"""Pure BLE packet decoders: bytes in, SI samples and device timestamps out.

No module here imports bleak or asyncio. Every malformed, truncated or oversized packet
raises :class:`~physiocap.core.errors.PacketError`; drivers count it and drop it.
"""
