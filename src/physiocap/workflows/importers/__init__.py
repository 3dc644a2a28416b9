"""Importers: other systems' files into physiocap session files."""
