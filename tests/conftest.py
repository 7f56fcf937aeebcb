"""Shared pytest configuration for the orderkit test suite."""

from tests.services import postgres_dsn, redis_url

__all__ = ["postgres_dsn", "redis_url"]
