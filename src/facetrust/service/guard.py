"""ASGI middleware in front of every request, before any body is read: a request id, the Host check against
DNS rebinding, the bearer token, the cross-origin refusal, browser security headers, and one JSON error shape
for everything that goes wrong, expected or not.

Order matters and is why this is one middleware: a wrong token or a foreign Host is refused before the upload
is received, and every answer (including a 500 from an exception no handler knew) gets the same headers,
the same `{"detail": ..., "request_id": ...}` body and the request id the log line carries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("facetrust.service")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PAGE_POLICY = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = ("/docs", "/redoc")  # the offline API docs start their bundle with an inline script


class RequestGuard:
    """`allowed_hosts` None accepts any Host (a server bound beyond loopback, where the token guards it);
    no `tokens` leaves /v1/* open, which `facetrust serve` allows on loopback only. The request's owner (the
    fingerprint of the token it carries, "" without tokens) goes to the app in `request.state.owner`."""

    def __init__(self, app: ASGIApp, tokens: tuple[str, ...], allowed_hosts: tuple[str, ...] | None) -> None:
        self.app = app
        self.tokens = tokens
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        token = _matching_token(headers.get("authorization", ""), self.tokens)
        scope.setdefault("state", {}).update(request_id=request_id, owner=owner_of(token))
        policy = DOCS_POLICY if scope["path"].startswith(DOCS_PATHS) else PAGE_POLICY
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *_security_headers(request_id, policy)]
            await send(message)

        refusal = self._refusal(scope, headers, token)
        if refusal:
            status, detail, extra = refusal
            await send_error(send_with_headers, status, detail, request_id, extra)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("request %s %s %s failed", request_id, scope["method"], scope["path"])
            if not started:
                await send_error(send_with_headers, 500, "internal error; quote this request id when reporting it",
                                 request_id)

    def _refusal(self, scope: Scope, headers: dict[str, str], token: str | None
                 ) -> tuple[int, str, dict[str, str]] | None:
        """Why this request is refused before it reaches the app (status, message, extra headers), or None."""
        host = _host_name(headers.get("host", ""))
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return 400, f"Host {headers.get('host', '')!r} is not a name this server answers to", {}
        guarded = scope["path"].startswith("/v1/")
        if guarded and self.tokens and token is None:
            return 401, "missing or wrong bearer token", {"www-authenticate": "Bearer"}
        if scope["method"] not in SAFE_METHODS and not self.tokens and _cross_origin(headers):
            return 403, "cross-origin requests that change state need the server to run with a token", {}
        return None


def error_body(detail: object, request_id: str) -> dict:
    """The one error shape of the API: what went wrong and the request id the log names."""
    return {"detail": detail, "request_id": request_id}


async def send_error(send: Send, status: int, detail: object, request_id: str,
                     extra: dict[str, str] | None = None) -> None:
    """`error_body` as a raw ASGI response (for refusals made before the application runs)."""
    body = json.dumps(error_body(detail, request_id)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *((name.encode(), value.encode()) for name, value in (extra or {}).items())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _security_headers(request_id: str, policy: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-request-id", request_id.encode()), (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", policy.encode())]


def _host_name(host_header: str) -> str:
    """`example.org:8000` -> `example.org`; `[::1]:8000` -> `::1`."""
    return (urlsplit(f"//{host_header}").hostname or "").lower()


def owner_of(token: str | None) -> str:
    """Who a request belongs to in the store: a fingerprint of its token (never the token), "" without one."""
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def _matching_token(authorization: str, tokens: tuple[str, ...]) -> str | None:
    """The configured token the bearer header carries (every one compared in constant time), or None."""
    scheme, _, credentials = authorization.partition(" ")
    sent = credentials.strip().encode()
    matches = [token for token in tokens if secrets.compare_digest(sent, token.encode())]
    return matches[0] if scheme.lower() == "bearer" and matches else None


def _cross_origin(headers: dict[str, str]) -> bool:
    """A browser says where a request comes from: `Sec-Fetch-Site`, else `Origin` compared with `Host`."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    return origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
