"""Phases of ``bench/catalog.py`` (a package, so the smoke run, which runs every
``bench/*.py``, does not take them for a benchmark)."""
