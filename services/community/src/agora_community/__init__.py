"""Agora community service."""
