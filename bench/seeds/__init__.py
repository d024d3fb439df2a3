"""Data the benchmarks load before they measure (helpers, not benchmarks: the smoke
suite runs only the top-level ``bench/*.py``)."""
