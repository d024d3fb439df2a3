"""Benchmark data written with the services' own code (helpers, not benchmarks)."""
