"""Benchmarks against named yardsticks: `python -m bench [--small] [--only NAME]`.

Method: docs/benchmarks.md; results: BENCHMARKS.md.
"""
