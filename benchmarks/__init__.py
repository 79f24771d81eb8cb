"""Benchmarks of the pipeline against a DuckDB reference (issue 12): `make bench`."""
