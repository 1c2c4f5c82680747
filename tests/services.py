"""PostgreSQL and Redis for the tests that need them, each test in its own namespace.

The services are the ones CI has (PostgreSQL on 127.0.0.1:5432, database ``test``,
trust auth; Redis on 127.0.0.1:6379); ``DVK_TEST_POSTGRES`` and ``DVK_TEST_REDIS``
point elsewhere. On a machine without them the tests that need them are skipped,
saying why; with ``DVK_REQUIRE_SERVICES=1`` (set by ``.ci/run``) they fail instead,
so CI never passes by skipping them.

Every test gets a fresh PostgreSQL schema (``search_path`` in the store URL) and a
fresh Redis key prefix, dropped afterwards: repeated or parallel runs never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest

POSTGRES = os.environ.get("DVK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("DVK_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRED = os.environ.get("DVK_REQUIRE_SERVICES", "") == "1"


def unavailable(service: str, error: Exception) -> NoReturn:
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    message = f"{service} unreachable ({reason})"
    if REQUIRED:
        pytest.fail(f"{message}; DVK_REQUIRE_SERVICES=1 demands it", pytrace=False)
    pytest.skip(f"{message}; set DVK_TEST_POSTGRES / DVK_TEST_REDIS to run these tests")


def schema_url(schema: str) -> str:
    """The test database with ``schema`` first on the search path."""
    separator = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    import psycopg

    try:
        with psycopg.connect(POSTGRES, connect_timeout=3) as db:
            db.execute("SELECT 1")
    except psycopg.Error as error:
        unavailable(f"PostgreSQL at {POSTGRES}", error)
    return POSTGRES


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A store URL in a schema of its own (created by the store, dropped here)."""
    import psycopg

    schema = f"dvk_test_{uuid.uuid4().hex[:12]}"
    yield schema_url(schema)
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def redis_server() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=3)
        client.ping()
        client.close()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS}", error)
    return REDIS


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A ``DVK_REDIS_KEY_PREFIX`` of its own; its keys are deleted afterwards."""
    import redis

    prefix = f"dvktest{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
