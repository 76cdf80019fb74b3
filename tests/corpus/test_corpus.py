"""Every corpus case through both doors (issue 25): the CLI batch and the HTTP API give the documented answer,
never a traceback or a 5xx; refused inputs leave nothing in the store, accepted ones are all stored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.media.source import text_name
from facetrust.store import ResultStore
from tests.corpus.cases import CASES, Case
from tests.service.conftest import client_for

NOT_UTF8 = os.fsdecode(b"caf\xe9 \xff.jpg")  # a name only a disk can hold: its bytes are not UTF-8
DISK_CASES = [*CASES, Case(NOT_UTF8, CASES[0].make), Case("identical copy.jpg", CASES[0].make)]
CLI_CASES = [case for case in DISK_CASES if "cli" in case.doors]
HTTP_CASES = [case for case in CASES if "http" in case.doors]


def _id(case: Case) -> str:
    return text_name(case.name)


@pytest.fixture(scope="module")
def cli_batch(tmp_path_factory) -> tuple[list[dict], str, list[str], int]:
    """One `facetrust scan --db` over the whole corpus, as a user runs a batch: its records in input order,
    its output, the names the store holds, and the exit code."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = []
    for case in CLI_CASES:
        path = folder / case.name
        path.write_bytes(case.make())
        paths.append(str(path))
    db = f"sqlite:///{folder / 'scans.db'}"
    records_file = folder / "records.jsonl"
    result = CliRunner().invoke(app, ["scan", *paths, "--json", str(records_file), "--db", db, "--frames", "4"])
    records = [json.loads(line) for line in records_file.read_text(encoding="utf-8").splitlines()]
    store = ResultStore(db)
    stored = [scan.record["input"] for scan in store.list(limit=500)]
    store.close()
    return records, result.output, stored, result.exit_code


def test_the_corpus_covers_at_least_60_cases_through_each_door():
    assert len(CLI_CASES) >= 60 and len(HTTP_CASES) >= 60
    assert len({case.name for case in DISK_CASES}) == len(DISK_CASES)


def test_the_cli_batch_answers_every_case_without_a_traceback(cli_batch):
    records, output, _, exit_code = cli_batch
    assert len(records) == len(CLI_CASES)
    assert "Traceback" not in output and exit_code == 1  # some inputs failed, and the exit code says so


@pytest.mark.parametrize("position", range(len(CLI_CASES)), ids=[_id(case) for case in CLI_CASES])
def test_each_case_through_the_cli(cli_batch, position):
    case = CLI_CASES[position]
    records, _, stored, _ = cli_batch
    record = records[position]
    assert Path(record["input"]).name == text_name(case.name)
    if case.error:
        assert record["error_type"] == case.error and case.says in record["error"], record
        assert record["input"] not in stored
    else:
        assert "error" not in record and record["verdict"] in {"real", "fake", "uncertain", "no_face"}, record
        assert record["input"] in stored  # every accepted input is kept, under its own name


@pytest.fixture(scope="module")
def http_door(scanner, tmp_path_factory):
    """One server for the whole corpus (as a user meets it), with its own store."""
    store = ResultStore(f"sqlite:///{tmp_path_factory.mktemp('http') / 'scans.db'}")
    with client_for(scanner, store) as client:
        yield client, store
    store.close()


@pytest.mark.parametrize("case", HTTP_CASES, ids=[_id(case) for case in HTTP_CASES])
def test_each_case_through_the_http_api(http_door, case):
    client, store = http_door
    before = store.count()
    response = client.post("/v1/scan", files={"file": (case.name, case.make())})
    body = response.json()
    assert response.status_code == case.status, body
    assert "Traceback" not in response.text
    if case.error:
        assert body["detail"].startswith(f"{case.name}: ") and case.says in body["detail"]
        assert body["request_id"] == response.headers["x-request-id"]
        assert store.count() == before  # nothing stored for a refused input
    else:
        assert body["input"] == case.name and body["verdict"] in {"real", "fake", "uncertain", "no_face"}
        assert store.list(limit=1)[0].record["input"] == case.name  # stored under its own name
