"""The benchmark harness of issue 6: `python bench/run.py` (see bench/run.py)."""
