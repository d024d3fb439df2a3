"""Agora gamification service."""
