"""Helpers shared by benchmarks that run services as their own processes (a package, so
the smoke run, which runs every ``bench/*.py``, does not take them for a benchmark)."""
