"""Helpers shared by benchmarks: the services run as their own processes, the cores
each process uses, and Kafka as every benchmark drives it (a package, so the smoke run,
which runs every ``bench/*.py``, does not take them for a benchmark)."""
