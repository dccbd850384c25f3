"""pytest-benchmark micro-benchmarks of the concurrency primitives, exported into the results store."""
