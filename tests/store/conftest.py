"""Result-store fixtures: a SQLite file, and a real throwaway PostgreSQL server started for the session.

The PostgreSQL server comes from the Debian package (`initdb` / `pg_ctl` under /usr/lib/postgresql);
set FACETRUST_TEST_POSTGRES_URL to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from facetrust.service.launch import free_port
from facetrust.store.results import engine_for


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[::-1]), None)
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if os.environ.get("FACETRUST_TEST_POSTGRES_URL"):
        yield os.environ["FACETRUST_TEST_POSTGRES_URL"]
        return
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="facetrust-pg-"))
    data, port = folder / "data", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's postgres user
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "facetrust", "-A", "trust", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "server.log"), "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql://facetrust@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scans.db'}"
    url = request.getfixturevalue("postgres_url")
    _reset(url)
    return url


def _reset(url: str) -> None:
    """Each test starts from an empty database: drop the tables and the migration bookkeeping."""
    from sqlalchemy import text

    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS submissions, scans, alembic_version"))
    engine.dispose()
