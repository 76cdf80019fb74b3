"""What stands in front of the API: Host check, token before body, cross-origin refusal, security headers,
one JSON error shape with a request id, and 413 for any body over the cap (issue 25, items 4, 12, 13)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from facetrust.service.guard import RequestGuard
from tests.service.conftest import client_for

SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy", "x-request-id")


def test_an_unexpected_exception_answers_json_500_with_a_request_id_and_logs_the_traceback(
        client, store, real_face, monkeypatch, caplog):
    def broken_store(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "add", broken_store)
    with caplog.at_level(logging.ERROR, logger="facetrust.service"):
        response = client.post("/v1/scan", files={"file": ("face.jpg", real_face.read_bytes())})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"] and "request id" in body["detail"]
    assert body["request_id"] in caplog.text and "RuntimeError: disk on fire" in caplog.text


def test_every_error_has_the_same_shape(client):
    for response in (client.get("/v1/scans/123"), client.get("/v1/scans", params={"limit": 0}),
                     client.post("/v1/scan", files={"file": ("empty.jpg", b"")})):
        assert set(response.json()) == {"detail", "request_id"}, response.text
        assert response.json()["request_id"] == response.headers["x-request-id"]


def test_a_foreign_host_header_is_refused_on_a_loopback_server(client):
    # DNS rebinding: a page on evil.example resolves its own name to 127.0.0.1 and calls the API.
    refused = client.get("/v1/scans", headers={"Host": "evil.example:8000"})
    assert refused.status_code == 400 and "evil.example" in refused.json()["detail"]
    assert client.get("/v1/scans", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/v1/scans", headers={"Host": "[::1]:8000"}).status_code == 200


def test_any_host_is_answered_when_no_host_list_is_set(scanner, store):
    with client_for(scanner, store, tokens=("s3cret",), allowed_hosts=None) as public:
        response = public.get("/healthz", headers={"Host": "facetrust.example.org"})
        assert response.status_code == 200


def test_cross_origin_state_changes_are_refused_without_a_token(client, store):
    upload = {"file": ("empty.jpg", b"")}  # reaching the app answers 400: no scan is run
    cross = client.post("/v1/scan", files=upload, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and store.count() == 0
    fetch = client.post("/v1/scan", files=upload, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = client.post("/v1/scan", files=upload, headers={"Origin": "http://localhost"})
    assert same.status_code == 400  # the page's own uploads pass
    assert client.get("/v1/scans", headers={"Origin": "https://evil.example"}).status_code == 200  # reads pass


def test_cross_origin_requests_with_the_right_token_pass(scanner, store):
    with client_for(scanner, store, tokens=("s3cret",)) as guarded:
        response = guarded.post("/v1/scan", files={"file": ("empty.jpg", b"")},
                                headers={"Origin": "https://tool.example", "Authorization": "Bearer s3cret"})
        assert response.status_code == 400


@pytest.mark.parametrize("path", ["/", "/healthz", "/v1/scans", "/v1/scans/5", "/static/app.js", "/docs"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert all(name in response.headers for name in SECURITY_HEADERS), response.headers
    assert response.headers["x-frame-options"] == "DENY" and response.headers["x-content-type-options"] == "nosniff"


def test_a_chunked_upload_over_the_cap_answers_413(scanner, store):
    def chunks():
        for _ in range(4):
            yield b"x" * 64 * 1024

    with client_for(scanner, store, max_upload_bytes=1024) as small:
        response = small.post("/v1/scan", content=chunks(),
                              headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert response.status_code == 413 and "limit" in response.json()["detail"]
        assert store.count() == 0


def test_the_token_is_checked_before_the_body_is_read():
    async def app(scope, receive, send):
        raise AssertionError("the app was reached")

    received = []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/scan", "headers": [(b"host", b"localhost")]}
    asyncio.run(RequestGuard(app, tokens=("s3cret",), allowed_hosts=("localhost",))(scope, receive, send))
    assert sent[0]["status"] == 401 and not received


def test_each_client_sees_its_own_file_name_and_only_its_own_scans(scanner, store, real_face):
    # Item 11 of issue 25: two clients upload the same bytes under different names.
    data = real_face.read_bytes()
    with client_for(scanner, store, tokens=("alice-token", "bob-token")) as server:
        alice, bob = ({"Authorization": f"Bearer {who}-token"} for who in ("alice", "bob"))
        first = server.post("/v1/scan", files={"file": ("alice.jpg", data)}, headers=alice).json()
        second = server.post("/v1/scan", files={"file": ("bob.jpg", data)}, headers=bob).json()
        assert second["input"] == "bob.jpg" and second["stored"]["cached"] and store.count() == 1
        assert [s["input"] for s in server.get("/v1/scans", headers=bob).json()["scans"]] == ["bob.jpg"]
        assert [s["input"] for s in server.get("/v1/scans", headers=alice).json()["scans"]] == ["alice.jpg"]
        assert server.get(f"/v1/scans/{first['stored']['id']}", headers=bob).json()["input"] == "bob.jpg"
        carol = server.post("/v1/scan", files={"file": ("x.jpg", data)}, headers={"Authorization": "Bearer carol"})
        assert carol.status_code == 401
