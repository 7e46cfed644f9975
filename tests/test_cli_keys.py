"""``cshub keys`` and ``cshub migrate`` against the suite's database, in-process."""

import asyncio
from pathlib import Path

import pytest

from service.cli import main
from service.db.pool import describe_url
from tests.databases import scratch_database


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: object) -> None:
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)


def test_create_list_revoke(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--role", "csm", "--name", "Team CS"]) == 0
    created = capsys.readouterr().out.strip().splitlines()
    secret = created[-1]
    assert secret.startswith("cshub_")
    key_id = created[0].split()[3]

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing
    assert "Team CS" in listing
    assert secret not in listing
    assert "active" in listing

    assert main(["keys", "revoke", key_id]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_revoking_unknown_key_fails_with_one_line(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "revoke", "00000000-0000-0000-0000-000000000000"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no API key with id" in err


def test_unknown_role_is_a_usage_error(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "create", "--role", "superuser"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_migrate_reports_head(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert "database schema at" in capsys.readouterr().out


def test_export_schema_prints_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-schema"]) == 0
    assert "type Query" in capsys.readouterr().out


def test_an_ingest_key_can_be_bound_to_sources(cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--role", "ingest", "--source", "zendesk", "--source", "salesforce"]) == 0
    created = capsys.readouterr().out.strip().splitlines()
    assert created[0].endswith("for source(s) salesforce, zendesk")
    assert main(["keys", "list"]) == 0
    assert "(sources: salesforce, zendesk)" in capsys.readouterr().out
    assert main(["keys", "create", "--role", "csm", "--source", "zendesk"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "only ingest keys can be bound to sources" in err


def test_a_command_on_a_data_dir_without_a_database_says_where_it_looked_and_creates_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CSHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # the default data dir is ./.cshub
    for command in (
        ["keys", "list"],
        ["keys", "create", "--role", "admin"],
        ["health", "recompute"],
        ["seed", "--demo"],
    ):
        assert main(command) == 1, command
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert f"no cshub database in the data dir {tmp_path / '.cshub'}" in line, line
        assert "CSHUB_DATA_DIR" in line
        assert "cshub migrate" in line
    assert not (tmp_path / ".cshub").exists(), "nothing is created implicitly"


async def test_a_command_on_a_database_without_the_schema_names_it(
    monkeypatch: pytest.MonkeyPatch, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with scratch_database(server_url, migrated=False) as url:
        monkeypatch.setenv("CSHUB_DATABASE_URL", url)
        assert await asyncio.to_thread(main, ["keys", "list"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"the database {describe_url(url)} holds no cshub schema" in line, line
    assert "run `cshub migrate` against it first" in line
