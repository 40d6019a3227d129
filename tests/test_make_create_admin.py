"""`make create-admin`, the README's way to the first Admin: no PYTHONPATH to remember, the
username and e-mail from variables or asked for, the password never on the command line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a `make` run on a migrated SQLite file of its own."""
    path = tmp_path_factory.mktemp("create-admin") / "admin.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIN_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{path}", ENVIRONMENT="local")
    subprocess.run(
        [sys.executable, "-m", "courtside", "migrate"],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO / "api")},
        capture_output=True,
        check=True,
        timeout=120,
    )
    return env


def _make(env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "create-admin"],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_from_variables(database):
    env = {
        **database,
        "ADMIN_USERNAME": "alice",
        "ADMIN_EMAIL": "alice@example.com",
        "ADMIN_PASSWORD": "a long passphrase of hers",
    }

    result = _make(env)

    assert result.returncode == 0, result.stderr
    assert "created Admin alice" in result.stdout
    assert "a long passphrase of hers" not in result.stdout + result.stderr


def test_asks_for_what_the_variables_do_not_give(database):
    env = {**database, "ADMIN_PASSWORD": "a long passphrase of his"}

    result = _make(env, stdin="bob\nbob@example.com\n")

    assert result.returncode == 0, result.stderr
    assert "created Admin bob" in result.stdout


def test_nothing_to_read_is_an_error(database):
    result = _make(database)

    assert result.returncode != 0
    assert "created Admin" not in result.stdout
