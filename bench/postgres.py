"""The benchmarks' own PostgreSQL database, made afresh for each run."""

from urllib.parse import urlsplit


def recreate_database(url: str) -> None:
    """Drop and create the database `url` names (its name says "bench":
    the callers check)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL does not answer at {admin}: {exc}") from exc
