"""Benchmarks (``python bench/<name>.py``; ``python -m bench.platform_e2e``)."""
