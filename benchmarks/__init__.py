"""Reproducible benchmarks of graphsvc: ``python -m benchmarks.run`` (see README.md here)."""
