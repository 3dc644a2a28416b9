"""Firmware models of the supported devices, built from the documented protocols."""
