"""Session fixtures that hand tests real PostgreSQL and Redis servers on loopback.

Set ``ORDERKIT_TEST_POSTGRES_DSN`` or ``ORDERKIT_TEST_REDIS_URL`` to use an existing server
instead. Missing server binaries skip the dependent tests, unless
``ORDERKIT_REQUIRE_SERVICES=1`` turns that into a failure (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from tests.servers import ServerFailed, ServerUnavailable, postgres_server, redis_server


def _serve(variable: str, start: Callable[[], AbstractContextManager[str]]) -> Iterator[str]:
    configured = os.environ.get(variable)
    if configured:
        yield configured
        return
    try:
        with start() as url:
            yield url
    except ServerUnavailable as missing:
        if os.environ.get("ORDERKIT_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{missing}; required because ORDERKIT_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(str(missing))
    except ServerFailed as failed:
        pytest.fail(str(failed), pytrace=False)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A libpq DSN for a throwaway PostgreSQL server with an empty test database."""
    yield from _serve("ORDERKIT_TEST_POSTGRES_DSN", postgres_server)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A ``redis://`` URL for a throwaway Redis server without persistence."""
    yield from _serve("ORDERKIT_TEST_REDIS_URL", redis_server)
