"""Reusable widgets: live plots, protocol forms, result panels."""
