"""Load and scale benchmarks (not run as tests): see docs/performance.md."""
