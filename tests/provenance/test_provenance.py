"""Provenance beside the pixels (issue 29): signed, tampered, generator-tagged, XMP-tagged, stripped and
malformed files, made by tests/provenance/make_files.py, read directly and through the CLI."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import c2pa
import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from facetrust.cli import app
from facetrust.provenance import read_provenance
from tests.provenance import make_files

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/facetrust/detection/verdict.schema.json").read_text())


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("provenance")
    paths = {}
    for name, make in make_files.FILES.items():
        paths[name] = folder / name
        paths[name].write_bytes(make())
    return paths


EXPECTED = {
    "ai_signed.jpg": "declared_ai", "camera_signed.jpg": "camera_signed", "edited_signed.png": "declared_edited",
    "tampered_ai.jpg": "declared_ai", "a1111.png": "declared_ai", "comfyui.png": "declared_ai",
    "xmp_ai.jpg": "declared_ai", "xmp_camera.jpg": "none", "stripped.jpg": "none",
    "malformed_manifest.jpg": "none", "xmp_malformed.jpg": "none",
}
UNREADABLE = {"malformed_manifest.jpg", "xmp_malformed.jpg"}


@pytest.mark.parametrize(("name", "finding"), [(n, f) for n, f in EXPECTED.items() if n not in UNREADABLE])
def test_each_kind_of_file_gets_its_finding(files, name, finding):
    provenance = read_provenance(files[name].read_bytes())
    assert provenance.finding == finding, provenance.statement
    assert provenance.errors == []


def test_a_signed_ai_image_names_its_generator_and_a_valid_signature(files):
    credentials = read_provenance(files["ai_signed.jpg"].read_bytes()).content_credentials
    assert credentials.claim_generator.startswith("Test Image Generator") and credentials.signer
    assert credentials.signature_valid and not credentials.trusted  # a throwaway test root is on no trust list
    assert credentials.digital_source_types == ["trainedAlgorithmicMedia"]


def test_pixels_changed_after_signing_make_the_signature_invalid(files):
    provenance = read_provenance(files["tampered_ai.jpg"].read_bytes())
    assert not provenance.content_credentials.signature_valid
    assert "assertion.dataHash.mismatch" in provenance.content_credentials.failures
    assert "INVALID" in provenance.statement


def test_generator_chunks_are_kept_and_named(files):
    provenance = read_provenance(files["a1111.png"].read_bytes())
    assert "Steps: 30" in provenance.png_text["parameters"] and "AUTOMATIC1111" in provenance.statement


@pytest.mark.parametrize("name", ["malformed_manifest.jpg", "xmp_malformed.jpg"])
def test_a_malformed_block_is_an_error_in_the_result_not_an_exception(files, name):
    provenance = read_provenance(files[name].read_bytes())
    assert provenance.errors and provenance.finding == "none"


def test_a_text_chunk_zip_bomb_stops_at_the_cap():
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    bomb = zlib.compress(b"A" * (64 << 20), 9)  # 64 MB of text in about 64 kB
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + header + chunk(b"zTXt", b"parameters\x00\x00" + bomb)
    provenance = read_provenance(png + chunk(b"IEND", b""))
    assert provenance.errors and "exceed" in provenance.errors[0]


def test_the_cli_reports_provenance_in_the_record_and_the_summary_line(files):
    result = CliRunner().invoke(app, ["scan", str(files["ai_signed.jpg"]), str(files["stripped.jpg"]),
                                      str(files["malformed_manifest.jpg"]), "--json", "-", "--no-provenance"])
    assert all("provenance" not in json.loads(line) for line in result.stdout.splitlines())
    result = CliRunner().invoke(app, ["scan", *(str(files[name]) for name in EXPECTED), "--json", "-"])
    assert result.exit_code == 0, result.output
    records = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    for record in records.values():
        jsonschema.validate(record, SCHEMA)
    assert {name: record["provenance"]["finding"] for name, record in records.items()} == EXPECTED
    ai, stripped, malformed = (records[n] for n in ("ai_signed.jpg", "stripped.jpg", "malformed_manifest.jpg"))
    assert ai["provenance"]["finding"] == "declared_ai" and ai["provenance"]["c2pa"]["signature_valid"]
    assert ai["summary"] == f"pixels: {ai['verdict']}; provenance: {ai['provenance']['statement']}"
    assert stripped["provenance"]["finding"] == "none"
    assert malformed["provenance"]["error"] and malformed["verdict"] != "no_face"  # the scan itself succeeded
    human = CliRunner().invoke(app, ["scan", str(files["ai_signed.jpg"])]).output
    assert "provenance: declared AI by Test Image Generator" in human


def test_the_api_returns_stores_and_filters_by_provenance(client, store, files):
    answers = {name: client.post("/v1/scan", files={"file": (name, files[name].read_bytes())}).json()
               for name in EXPECTED}
    assert {name: answer["provenance"]["finding"] for name, answer in answers.items()} == EXPECTED
    assert {name for name, answer in answers.items() if answer["provenance"]["error"]} == UNREADABLE
    assert answers["ai_signed.jpg"]["provenance"]["finding"] == "declared_ai"
    assert answers["tampered_ai.jpg"]["provenance"]["c2pa"]["signature_valid"] is False
    stored = client.get(f"/v1/scans/{answers['camera_signed.jpg']['stored']['id']}").json()
    assert stored["provenance"] == answers["camera_signed.jpg"]["provenance"]  # the database keeps the block
    declared = client.get("/v1/scans", params={"provenance": "declared_ai"}).json()["scans"]
    assert sorted(s["input"] for s in declared) == sorted(n for n, f in EXPECTED.items() if f == "declared_ai")
    assert all(s["provenance"] == "declared_ai" for s in declared)
    nothing = client.get("/v1/scans", params={"provenance": "none"}).json()["scans"]
    assert sorted(s["input"] for s in nothing) == sorted(n for n, f in EXPECTED.items() if f == "none")
    assert client.get("/v1/scans", params={"provenance": "forged"}).status_code == 422


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_exif_make_and_model_are_read_and_files_without_exif_are_not_opened_again(fmt, monkeypatch):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "EOS 5D"
    provenance = read_provenance(make_files.face(fmt, exif=exif.tobytes()))
    assert provenance.exif == {"make": "Canon", "model": "EOS 5D"} and provenance.errors == []
    plain = make_files.face(fmt)
    monkeypatch.setattr("facetrust.provenance.embedded.Image.open", lambda *a, **k: pytest.fail("opened again"))
    assert read_provenance(plain).exif is None


def test_files_without_a_manifest_store_never_reach_the_c2pa_reader(files, monkeypatch):
    monkeypatch.setattr(c2pa.Reader, "try_create", lambda *a, **k: pytest.fail("the C2PA reader was asked"))
    for name in ("stripped.jpg", "xmp_ai.jpg", "a1111.png"):
        provenance = read_provenance(files[name].read_bytes())
        assert provenance.content_credentials is None and provenance.errors == []
