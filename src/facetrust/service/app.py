"""FastAPI application: `POST /v1/scan`, stored scans, models, health, and the web page at `/`.

Uploads are bytes only (never server paths or URLs), capped in size before parsing, sniffed from
their content by the media layer, and scanned on worker threads behind a bounded queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from facetrust import __version__
from facetrust.detection.scanner import Scanner
from facetrust.detection.verdict import ScanResult
from facetrust.emotion.annotate import EmotionReader
from facetrust.errors import (
    CorruptMediaError,
    DecodeTimeoutError,
    EmptyMediaError,
    FacetrustError,
    MediaError,
    MediaTooLargeError,
    NoVideoStreamError,
    ProcessingError,
    UnsupportedMediaError,
)
from facetrust.explain import overlay, png_data_url
from facetrust.models import list_models
from facetrust.service.body_limit import BodySizeLimit
from facetrust.service.guard import LOOPBACK_HOSTS, RequestGuard, error_body
from facetrust.service.work_queue import QueueFull, WorkQueue
from facetrust.store import ResultStore, StoredScan

STATIC = Path(__file__).resolve().parent / "static"
BEARER = HTTPBearer(auto_error=False)  # documents the scheme in /docs; the check itself is in RequestGuard
EXPLAIN_METHOD = "gradcam"  # heatmaps asked for through the API
VerdictFilter = Literal["real", "fake", "uncertain", "no_face"]
ProvenanceFilter = Literal["declared_ai", "declared_edited", "camera_signed", "none"]
STATUS_FOR_ERROR: dict[type[MediaError], int] = {
    EmptyMediaError: 400,
    MediaTooLargeError: 413,
    UnsupportedMediaError: 415,
    CorruptMediaError: 422,
    NoVideoStreamError: 422,
    DecodeTimeoutError: 504,  # the machine was too busy, not a bad file: the client may try again later
    ProcessingError: 500,
}


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs. With `tokens`, /v1/* needs `Authorization: Bearer <one of them>`; each token is a
    client that sees only its own submissions (without tokens everyone is the one local user).
    `allowed_hosts`: the names a request's Host header may carry (None: any, for a server behind a token)."""

    db_url: str = "sqlite:///facetrust.db"
    model: str | None = None  # model folder; None = the bundled detector
    tokens: tuple[str, ...] = ()
    max_upload_bytes: int = 100 * 1024 * 1024
    workers: int = 1
    max_pending: int = 8
    timeout_seconds: float = 120.0
    frames: int | None = None  # frames sampled per video; None: the video model's, else 16
    emotion_model: str | None = None  # expression model folder; None = the bundled one
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS


def create_app(settings: ServiceSettings, scanner: Scanner | None = None, store: ResultStore | None = None) -> FastAPI:
    """Build the app; `scanner` and `store` may be passed in (tests share one loaded model)."""
    scanner = scanner or Scanner(settings.model, frames=settings.frames)
    reader = EmotionReader(settings.emotion_model, scanner.model.card.faces.margin)
    store = store or ResultStore(settings.db_url)
    queue = WorkQueue(settings.workers, settings.max_pending)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        queue.shutdown()

    app = FastAPIOffline(title="facetrust", version=__version__, lifespan=lifespan,  # /docs without a CDN
                  description="Is this face real? Upload an image or video; get a verdict per face.")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + 64 * 1024)  # + multipart framing
    app.add_middleware(RequestGuard, tokens=settings.tokens, allowed_hosts=settings.allowed_hosts)  # outermost
    app.state.scanner, app.state.store, app.state.queue = scanner, store, queue
    authorised = Depends(BEARER)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/healthz")
    def health() -> dict:
        return {"status": "ok", "model": scanner.model_info["name"], "version": __version__,
                "queue": {"pending": queue.pending, "max_pending": queue.max_pending}}

    @app.get("/v1/models", dependencies=[authorised])
    def models() -> dict:
        return {"active": scanner.model_info, "emotion": reader.info, "architectures": list_models()}

    @app.post("/v1/scan", dependencies=[authorised])
    async def scan(
        request: Request,
        file: Annotated[UploadFile, File(description="An image or video (type sniffed from the bytes).")],
        threshold: Annotated[float | None, Form(ge=0.0, le=1.0, description="Decision threshold for faces.")] = None,
        video_threshold: Annotated[float | None, Form(ge=0.0, le=1.0, description="Decision threshold for a "
                                                      "video's verdict.")] = None,
        uncertain_band: Annotated[float | None, Form(ge=0.0, le=0.5)] = None,
        smallest_face: Annotated[int | None, Form(ge=0, description="Judge faces down to this size in pixels (0: "
                                                  "every face; default: the model's smallest judged face).")] = None,
        noise_ceiling: Annotated[float | None, Form(ge=0.0, description="Call faces real up to this grain, the "
                                                    "faces[].noise_level of a record (0: however grainy; default: "
                                                    "the model's noise ceiling).")] = None,
        agree: Annotated[bool, Form(description="Call a photo's face fake only if the routed model's soft branch, "
                                    "asked for a second opinion, calls it fake too; else uncertain (fewer false "
                                    "accusations on video stills and re-saved photos).")] = False,
        emotion: Annotated[bool, Form(description="Also read each face's expression.")] = False,
        explain: Annotated[bool, Form(description="Add a Grad-CAM heatmap per face (image) or for the most "
                                      "suspicious face (video) as a PNG data URL; always scans afresh.")] = False,
    ) -> dict:
        data = await file.read()
        name = PurePath(file.filename or "upload").name[:255] or "upload"
        if len(data) > settings.max_upload_bytes:
            raise HTTPException(413, f"{name}: upload is larger than the limit of {settings.max_upload_bytes:,} bytes")
        try:
            decided = scanner.with_decision(threshold, uncertain_band, video_threshold, smallest_face,
                                            noise_ceiling, agree)
        except FacetrustError as exc:
            raise HTTPException(422, str(exc)) from None
        decided = decided.with_emotion(reader if emotion else None).with_explain(EXPLAIN_METHOD if explain else None)
        owner = request.state.owner
        stored = None if explain else await run_in_threadpool(store.find, hashlib.sha256(data).hexdigest(),
                                                              decided.model_info)
        if stored:
            return (await run_in_threadpool(store.submit, stored, name, owner)).to_dict()
        def scan_and_store() -> tuple[ScanResult, StoredScan]:
            result = decided.scan(data, name=name)
            return result, store.add(result, owner)

        try:  # stored on the worker, so a scan that outlives its request still serves the retry
            result, stored = await queue.run(scan_and_store, settings.timeout_seconds)
        except QueueFull:
            raise HTTPException(429, "the scan queue is full; retry shortly", {"Retry-After": "2"}) from None
        except TimeoutError:
            raise HTTPException(504, f"{name}: scanning took longer than {settings.timeout_seconds:.0f} s") from None
        except MediaError as exc:
            raise HTTPException(_status_for(exc), f"{name}: {exc.problem}") from exc
        record = stored.to_dict()
        if explain:  # heatmaps travel in the response only: the store keeps the verdict, not the pictures
            for face_record, face in zip(record["faces"], result.faces, strict=True):
                if face.heatmap is not None:
                    face_record["heatmap"] = png_data_url(overlay(face.crop, face.heatmap))
        return record

    @app.get("/v1/scans/{scan_id}", dependencies=[authorised])
    def stored_scan(request: Request, scan_id: int) -> dict:
        found = store.get(scan_id, owner=request.state.owner)
        if found is None:
            raise HTTPException(404, f"no scan with id {scan_id}")
        return found.to_dict()

    @app.get("/v1/scans", dependencies=[authorised])
    def stored_scans(request: Request, verdict: VerdictFilter | None = None, since: datetime | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     provenance: ProvenanceFilter | None = None) -> dict:
        scans = store.list(verdict, since, limit, owner=request.state.owner, provenance=provenance)
        return {"count": len(scans), "scans": [_summary(s) for s in scans]}

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(request, 422, jsonable_encoder(exc.errors()))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _error(request: Request, status: int, detail: object, headers: dict[str, str] | None = None) -> JSONResponse:
    """`error_body` from inside the application."""
    return JSONResponse(error_body(detail, getattr(request.state, "request_id", "")), status, headers=headers)


def _status_for(exc: MediaError) -> int:
    return next((code for kind, code in STATUS_FOR_ERROR.items() if isinstance(exc, kind)), 422)


def _summary(scan: StoredScan) -> dict:
    record = scan.record
    return {"id": scan.id, "scanned_at": scan.scanned_at.isoformat(), "input": record["input"],
            "sha256": record["sha256"], "kind": record["kind"], "verdict": record["verdict"],
            "p_fake": record["p_fake"], "faces": len(record["faces"]),
            "provenance": (record.get("provenance") or {}).get("finding"),
            "model": {"name": record["model"]["name"], "version": record["model"]["version"]}}
