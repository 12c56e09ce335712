"""Benchmarks of tessera-dbt. Each one prints ratios against a baseline measured in the
same process or session (never absolute timings alone), so figures compare across machines.

Run them all with `python -m bench` (`make bench`), or one with `python -m bench.<name>`.
"""
