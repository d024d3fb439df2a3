"""Agora notifications service."""
