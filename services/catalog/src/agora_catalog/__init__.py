"""Agora catalog service."""
