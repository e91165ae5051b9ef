"""Shared test fixtures: where ../shared is, and the rule that CI never skips data tests."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the checkout; tests that need it skip without it, except in CI where they fail."""
    if not SHARED.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED} is missing: CI must run the data conformance tests")
        pytest.skip("../shared is not beside this checkout")
    return SHARED
