"""Shared test fixtures: where ../shared is, a throw-away PostGIS server, and the rule that CI never skips
data or server tests."""
import os
from contextlib import ExitStack
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


@pytest.fixture(scope="session")
def postgis_url() -> str:
    """The URL of a database with PostGIS on a throw-away server started for this test session
    (tests/postgis.py). Without a server it skips with one line, except in CI where it fails."""
    from tests import postgis

    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgis.running())
        except postgis.ServerUnavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must run the PostGIS store tests: {exc}")
            pytest.skip(f"no PostGIS server for the store tests: {exc}")
        yield url


@pytest.fixture
def fresh_url(postgis_url) -> str:
    """An empty database with PostGIS on the session's server (a copy of its template), dropped afterwards."""
    from tests import postgis

    url = postgis.fresh_database(postgis_url)
    yield url
    postgis.drop_database(url)
