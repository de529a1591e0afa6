"""Replays of the existing add-ons' requests (see ADDON_CONTRACT.md) against the service."""
