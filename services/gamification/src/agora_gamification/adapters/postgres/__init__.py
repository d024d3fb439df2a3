"""Gamification's storage on PostgreSQL: one repository per aggregate (each takes the
unit of work's connection), and the unit of work binding them (``unit_of_work.py``)."""
