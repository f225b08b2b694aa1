"""Scripts that measure Commons and print figures; results are recorded in docs/benchmarks.md."""
