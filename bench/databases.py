"""A throw-away database for one benchmark: created, migrated, loaded with `pledgecard demo`, then dropped."""

import contextlib
import os
import secrets
from pathlib import Path

from bench.common import PYTHON, log, product_env, run

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# A name of its own for each run (pledgecard_bench_<pid>_<random>): another run, or anybody's scratch database
# called pledgecard_bench, on the same server is never dropped or written to by this one.
PG_BENCH_DB_PREFIX = "pledgecard_bench"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def postgres_available() -> str | None:
    """None when PostgreSQL answers on 127.0.0.1:5432 as user postgres, else why not."""
    try:
        _pg_admin("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available", with its reason
        return str(exc).strip().splitlines()[0]
    return None


@contextlib.contextmanager
def database(kind: str, workdir: Path):
    """Yield the DATABASE_URL of a fresh, migrated database holding the demo; drop it afterwards."""
    name = f"{PG_BENCH_DB_PREFIX}_{os.getpid()}_{secrets.token_hex(3)}"
    if kind == "postgres":
        url = f"postgres://postgres@127.0.0.1:5432/{name}"
        _pg_admin(f"CREATE DATABASE {name}")
    elif kind == "sqlite":
        path = workdir / "bench.sqlite3"
        for stale in workdir.glob("bench.sqlite3*"):
            stale.unlink()
        url = f"sqlite:///{path}"
    else:
        raise ValueError(f"unknown database {kind!r}")
    try:
        env = product_env(workdir, DATABASE_URL=url)
        log(f"{kind}: migrating and loading the demo")
        run(
            [PYTHON, "-m", "pledgecard", "migrate", "--no-input", "-v0"],
            env=env,
            timeout=300,
            log=workdir / "setup.log",
        )
        run([PYTHON, "-m", "pledgecard", "demo"], env=env, timeout=300, log=workdir / "setup.log")
        yield url
    finally:
        if kind == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            for leftover in workdir.glob("bench.sqlite3*"):
                leftover.unlink()


def query(url: str, sql: str) -> list[tuple]:
    """Rows of one read-only query on the benchmark's database, outside the product's code."""
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute(sql).fetchall()
