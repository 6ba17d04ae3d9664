"""Exit 0 when the PostgreSQL and Redis URLs given answer, else say which not."""

import sys

import environ
import psycopg
import redis


def postgres_problem(url: str) -> str | None:
    config = environ.Env.db_url_config(url)
    try:
        # Connect to the maintenance database: the test database is created
        # by the test run itself.
        psycopg.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} does not answer: {exc}".strip()
    return None


def redis_problem(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} does not answer: {exc}"
    return None


def main() -> int:
    database_url, redis_url = sys.argv[1:3]
    problems = [
        p for p in (postgres_problem(database_url), redis_problem(redis_url)) if p
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
