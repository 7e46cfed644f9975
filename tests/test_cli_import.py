"""``cshub import``: CSV and JSON-lines files through the ingest service, with a summary by status."""

import io
import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.cli import main
from service.ingest.file_import import progress_bar
from tests.ingesting import query


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: AsyncEngine) -> str:
    """The CLI talks to the suite's (emptied) database; returns its URL."""
    monkeypatch.setenv("CSHUB_DATABASE_URL", database_url)
    return database_url


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_reports_every_status_and_is_idempotent(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = write(
        tmp_path / "accounts.csv",
        "external_id,name,domain,segment\n001,Acme,https://www.acme.example/,enterprise\n002,Beta,,smb\n003,,x.example,\n",
    )
    assert main(["import", "--source", "crm", "--entity", "accounts", str(accounts)]) == 1
    out, err = capsys.readouterr()
    assert "imported 3 accounts records" in out
    assert "created 2" in out
    assert "rejected 1" in out
    assert "line 4: rejected: name: required" in out
    assert "1 record(s) rejected" in err
    assert query(cli_env, "SELECT name, domain, segment FROM accounts ORDER BY name") == [
        ("Acme", "acme.example", "enterprise"),
        ("Beta", None, "smb"),
    ]
    assert main(["import", "--source", "crm", "--entity", "accounts", "--batch-size", "1", str(accounts)]) == 1
    assert "unchanged 2" in capsys.readouterr().out


def test_contract_lines_come_as_a_json_cell(cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.csv", "external_id,name,domain\n001,Acme,acme.example\n")
    assert main(["import", "--source", "crm", "--entity", "accounts", str(tmp_path / "a.csv")]) == 0
    lines = json.dumps([{"product": "Hub Core", "quantity": 3, "unit_price": "30.00"}]).replace('"', '""')
    contracts = write(
        tmp_path / "contracts.csv",
        "external_id,account_domain,status,start_date,end_date,auto_renew,lines\n"
        f'k1,acme.example,active,2026-01-01,2027-01-01,true,"{lines}"\n'
        "k2,acme.example,active,2026-01-01,,false,[not json\n",
    )
    assert main(["import", "--source", "crm", "--entity", "contracts", str(contracts)]) == 1
    out = capsys.readouterr().out
    assert "created 1" in out
    assert "line 3: rejected: column 'lines' is not valid JSON" in out
    assert query(cli_env, "SELECT k.auto_renew, sum(l.mrr) FROM contracts k JOIN contract_lines l"
                      " ON l.contract_id = k.id GROUP BY 1") == [(True, 90)]  # fmt: skip


def test_jsonl_import_keeps_unmatched_and_reports_bad_lines(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {
        "event_id": "e1",
        "account_domain": "nowhere.example",
        "event": "login",
        "occurred_at": "2026-01-01T00:00:00Z",
    }
    deep = "[" * 5000 + "]" * 5000  # json.loads raised RecursionError: the import crashed
    events = write(tmp_path / "events.jsonl", json.dumps(event) + "\n\n{broken\n" + deep + "\n")
    assert main(["import", "--source", "product", "--entity", "usage-events", str(events)]) == 1
    out = capsys.readouterr().out
    assert "unmatched 1" in out
    assert "line 3: rejected: not valid JSON" in out
    assert "line 4: rejected: arrays and objects nested more than 64 levels deep" in out
    assert query(cli_env, "SELECT entity, external_id FROM unmatched_records") == [("usage-events", "e1")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entity", "accounts", "missing.csv"], "cannot read"),
        (["--entity", "accounts", "file.txt"], "expected a .csv or .jsonl file"),
    ],
)
def test_unreadable_files_fail_with_one_line(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write(tmp_path / "file.txt", "x")
    args = [*args[:-1], str(tmp_path / args[-1])]
    assert main(["import", "--source", "crm", *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_and_stays_quiet_otherwise() -> None:
    terminal = _Terminal()
    show = progress_bar(4, terminal, width=8)
    show(2)
    show(4)
    assert terminal.getvalue() == "\r[####....]  50% 2/4 records\r[########] 100% 4/4 records\n"
    pipe = io.StringIO()
    progress_bar(4, pipe)(4)
    assert pipe.getvalue() == ""
