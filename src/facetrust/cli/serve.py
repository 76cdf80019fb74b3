"""`facetrust serve`: the HTTP API and web page."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from facetrust.cli.support import fail, open_store


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback requires --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: Annotated[str, typer.Option(help="Results store: sqlite:///FILE or postgresql://user:pw@host/db.")] = (
        "sqlite:///facetrust.db"),
    token: Annotated[str | None, typer.Option(envvar="FACETRUST_TOKEN", help="Bearer token required on /v1/* "
                                              "(visible in `ps`: prefer FACETRUST_TOKEN or --token-file).")] = None,
    token_file: Annotated[Path | None, typer.Option(help="Read bearer tokens from this file, one per line: each is "
                                                    "a client that sees only its own scans.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    workers: Annotated[int, typer.Option(help="Scanning threads.")] = 1,
    max_pending: Annotated[int, typer.Option(help="Scans running or waiting before new ones get 429.")] = 8,
    max_upload_mb: Annotated[float, typer.Option(help="Largest accepted upload, in MB.")] = 100.0,
    timeout: Annotated[float, typer.Option(help="Seconds a scan may take before the request gets 504.")] = 120.0,
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="A name clients reach the server by (repeatable). Default: the loopback names when bound to "
             "loopback (refuses DNS rebinding), any name otherwise (the token guards it).")] = None,
) -> None:
    """Run the HTTP API and the web page (open http://HOST:PORT/)."""
    import uvicorn

    from facetrust.service import ServiceSettings, create_app

    tokens = _service_tokens(token, token_file)
    if not _is_loopback(host) and not tokens:
        fail(f"binding to {host} exposes the service beyond this machine; set --token (or FACETRUST_TOKEN)")
    settings = ServiceSettings(db_url=db, model=str(model) if model else None, tokens=tokens,
                               max_upload_bytes=int(max_upload_mb * 1024 * 1024), workers=workers,
                               max_pending=max_pending, timeout_seconds=timeout,
                               allowed_hosts=_allowed_hosts(host, allowed_host))
    uvicorn.run(create_app(settings, store=open_store(db)), host=host, port=port, log_level="info")


def _service_tokens(token: str | None, token_file: Path | None) -> tuple[str, ...]:
    """The token from --token / FACETRUST_TOKEN, or the tokens of a file, one per line (a file's contents never
    appear in a process list)."""
    if token_file is None:
        return (token,) if token else ()
    if token:
        fail("give the token one way: --token / FACETRUST_TOKEN or --token-file, not both")
    try:
        lines = token_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{token_file}: cannot read the token file ({exc})")
    tokens = tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not tokens:
        fail(f"{token_file}: the token file is empty")
    return tokens


def _allowed_hosts(host: str, named: list[str] | None) -> tuple[str, ...] | None:
    from facetrust.service.guard import LOOPBACK_HOSTS

    if named:
        return tuple(named)
    return (*LOOPBACK_HOSTS, host) if _is_loopback(host) else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
