import json
import time
from pathlib import Path

import jsonschema
import pytest

from facetrust.detection import Scanner
from facetrust.media import MediaLimits
from tests.service.conftest import client_for

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/facetrust/detection/verdict.schema.json").read_text())


def upload(client, path: Path, **form: object):
    return client.post("/v1/scan", files={"file": (path.name, path.read_bytes())}, data=form)


def test_health_and_models_describe_the_running_model(client, scanner):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["model"] == scanner.model_info["name"]
    models = client.get("/v1/models").json()
    assert models["active"]["version"] == scanner.model_info["version"]
    assert "effnet_lite0" in models["architectures"]


def test_scan_returns_a_valid_record_and_stores_it_once(client, store, fake_face, real_face):
    first = upload(client, fake_face)
    assert first.status_code == 200, first.text
    record = first.json()
    jsonschema.validate(record, SCHEMA)
    assert record["input"] == fake_face.name and len(record["faces"]) == 1
    assert record["stored"]["cached"] is False
    again = upload(client, fake_face).json()  # same bytes, same model: the stored record, no second row
    assert again["stored"] == {**record["stored"], "cached": True} and again["faces"] == record["faces"]
    assert upload(client, real_face).status_code == 200
    assert store.count() == 2
    fetched = client.get(f"/v1/scans/{record['stored']['id']}").json()
    assert fetched["sha256"] == record["sha256"] and fetched["faces"] == record["faces"]


def test_listing_filters_by_verdict_and_time(client, fake_face, real_face):
    records = [upload(client, path).json() for path in (fake_face, real_face)]
    listing = client.get("/v1/scans").json()
    assert listing["count"] == 2 and [s["id"] for s in listing["scans"]] == sorted(
        (r["stored"]["id"] for r in records), reverse=True)
    verdict = records[0]["verdict"]
    only = client.get("/v1/scans", params={"verdict": verdict}).json()["scans"]
    assert only and all(s["verdict"] == verdict for s in only)
    later = client.get("/v1/scans", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert later["count"] == 0
    assert client.get("/v1/scans", params={"limit": 1}).json()["count"] == 1
    assert client.get("/v1/scans", params={"limit": 0}).status_code == 422
    assert client.get("/v1/scans", params={"verdict": "maybe"}).status_code == 422
    assert client.get("/v1/scans/999999").status_code == 404
    for beyond in (2**31, 2**63, 2**64 + 5):  # past the id column's range: not found, never a 500
        assert client.get(f"/v1/scans/{beyond}").status_code == 404


def test_threshold_option_changes_the_decision_and_is_stored_separately(client, store, real_face):
    default = upload(client, real_face).json()
    strict = upload(client, real_face, threshold=0.0, uncertain_band=0.0).json()
    assert all(face["verdict"] == "fake" for face in strict["faces"])  # every P(fake) >= 0
    assert strict["model"]["threshold"] == 0.0 and strict["stored"]["id"] != default["stored"]["id"]
    assert store.count() == 2
    assert upload(client, real_face, threshold=1.5).status_code == 422


def test_a_face_floor_set_by_the_user_decides_and_is_stored_separately(client, store, real_face):
    default = upload(client, real_face).json()
    silenced = upload(client, real_face, smallest_face=100_000).json()
    jsonschema.validate(silenced, SCHEMA)
    assert [face["verdict"] for face in silenced["faces"]] == ["uncertain"] * len(default["faces"])
    sources = silenced["model"]["smallest_face_source"], default["model"]["smallest_face_source"]
    assert sources == ("override", "model")
    assert silenced["stored"]["id"] != default["stored"]["id"] and store.count() == 2
    assert upload(client, real_face, smallest_face=-1).status_code == 422


def test_a_grain_ceiling_set_by_the_user_decides_and_is_stored_separately(client, store, real_face):
    default = upload(client, real_face).json()
    strict = upload(client, real_face, noise_ceiling=0.001).json()  # every face is grainier than this
    jsonschema.validate(strict, SCHEMA)
    said_real = [face["verdict"] == "real" for face in default["faces"]]
    assert any(said_real) and not any(face["verdict"] == "real" for face in strict["faces"])
    sources = strict["model"]["noise_ceiling_source"], default["model"]["noise_ceiling_source"]
    assert sources == ("override", "model") and strict["model"]["noise_ceiling"] == 0.001
    assert strict["stored"]["id"] != default["stored"]["id"] and store.count() == 2
    assert upload(client, real_face, noise_ceiling=-1).status_code == 422


def test_agreement_on_request_is_in_the_record_and_stored_as_its_own_scan(client, store, shared_data):
    accused = sorted((shared_data / "faces/k140/test/fake").glob("*.jpg"))[1]  # a StyleGAN face both branches call fake
    plain = upload(client, accused).json()
    agreed = upload(client, accused, agree="true").json()
    jsonschema.validate(agreed, SCHEMA)
    assert (plain["model"]["agree"], agreed["model"]["agree"]) == (False, True)
    assert [f["p_fake"] for f in agreed["faces"]] == [f["p_fake"] for f in plain["faces"]]
    assert plain["verdict"] == agreed["verdict"] == "fake" and "second_opinion" not in plain["faces"][0]
    assert agreed["faces"][0]["second_opinion"]["branch"] == "soft"  # asked, and it agreed
    assert agreed["stored"]["id"] != plain["stored"]["id"] and store.count() == 2
    assert upload(client, accused, agree="true").json()["stored"]["cached"] is True


def test_expressions_on_request_are_stored_as_their_own_scan(client, store, real_face):
    plain = upload(client, real_face).json()
    with_emotion = upload(client, real_face, emotion="true").json()
    jsonschema.validate(with_emotion, SCHEMA)
    assert "emotion" not in plain["faces"][0] and with_emotion["faces"][0]["emotion"]["label"]
    assert with_emotion["model"]["emotion"]["name"] == client.get("/v1/models").json()["emotion"]["name"]
    assert with_emotion["stored"]["id"] != plain["stored"]["id"] and store.count() == 2
    assert upload(client, real_face, emotion="true").json()["stored"]["cached"] is True


@pytest.mark.parametrize(("name", "status", "says"), [
    ("zero.jpg", 400, "empty"),
    ("text.jpg", 415, "not"),
    ("truncated.jpg", 422, ""),
    ("corrupt.mp4", 422, ""),
    ("audio_only.mp4", 422, "video"),
])
def test_bad_uploads_get_clear_4xx_answers(client, store, bad_inputs, name, status, says):
    response = upload(client, bad_inputs / name)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"{name}: ") and says in detail
    assert store.count() == 0


def test_uploads_above_the_size_limit_get_413_before_scanning(scanner, store, real_face):
    with client_for(scanner, store, max_upload_bytes=4096) as small:
        response = upload(small, real_face)
        assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_the_api_takes_bytes_only(client):
    # A server path where a file is expected is refused, not opened.
    response = client.post("/v1/scan", data={"file": "/etc/passwd"})
    assert response.status_code == 422


def test_bearer_token_guards_the_api_but_not_health(scanner, store):
    with client_for(scanner, store, tokens=("s3cret",)) as guarded:
        assert guarded.get("/healthz").status_code == 200
        assert guarded.get("/v1/models").status_code == 401
        assert guarded.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_full_queue_answers_429_with_retry_after(scanner, store, real_face):
    with client_for(scanner, store, max_pending=0) as full:
        response = upload(full, real_face)
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"


def test_page_and_openapi_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "facetrust" in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    docs = client.get("/docs").text  # the API docs work offline: their assets come from this server
    assert "cdn" not in docs and client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/scan", "/v1/scans", "/v1/scans/{scan_id}", "/v1/models", "/healthz"} <= set(paths)


def test_video_upload_gives_per_frame_faces(client, ffpp_real_video):
    response = upload(client, ffpp_real_video)
    assert response.status_code == 200, response.text
    record = response.json()
    jsonschema.validate(record, SCHEMA)
    assert record["kind"] == "video" and record["faces"]
    times = [face["time"] for face in record["faces"]]
    assert len(set(times)) >= 3 and times == sorted(times)  # faces from several sampled frames, in order


def test_slow_scan_answers_504_but_its_result_serves_the_retry(scanner, store, real_face):
    with client_for(scanner, store, timeout_seconds=0.001) as hurried:
        response = upload(hurried, real_face)
        assert response.status_code == 504 and real_face.name in response.json()["detail"]
        for _ in range(100):  # the scan goes on in its worker thread and is stored when it ends
            if store.count():
                break
            time.sleep(0.1)
        retry = upload(hurried, real_face)
        assert retry.status_code == 200 and retry.json()["stored"]["cached"] is True


def test_decode_time_out_answers_504_not_a_bad_file_status(store, ffpp_real_video):
    with client_for(Scanner(frames=4, limits=MediaLimits(max_decode_seconds=0)), store) as slow:
        response = upload(slow, ffpp_real_video)
    assert response.status_code == 504, response.text
    assert response.json()["detail"].startswith(f"{ffpp_real_video.name}: decoding took longer")
    assert store.count() == 0


def test_explain_on_request_returns_heatmaps_but_stores_only_the_verdict(client, store, real_face):
    plain = upload(client, real_face).json()
    explained = upload(client, real_face, explain="true").json()
    jsonschema.validate(explained, SCHEMA)
    heatmap = explained["faces"][0]["heatmap"]
    assert heatmap.startswith("data:image/png;base64,") and len(heatmap) > 10_000
    assert explained["stored"]["id"] == plain["stored"]["id"] and store.count() == 1
    assert "heatmap" not in client.get(f"/v1/scans/{plain['stored']['id']}").json()["faces"][0]
