"""ResultStore: keeps verdict records in SQL through SQLAlchemy, schema managed by Alembic.

The same bytes scanned by the same model version with the same decision rule are stored once; a
repeat scan finds the stored record instead of running the model again. Every request is also kept as a
submission with its own file name and owner, so a repeat under another name (or by another client) is
listed under that name and no one sees someone else's. SQLite (a file, the default) and PostgreSQL
(`postgresql://...`, driver psycopg 3) are supported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from facetrust.detection.verdict import ScanResult
from facetrust.errors import FacetrustError
from facetrust.store.schema import ScanRow, SubmissionRow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MAX_ID = 2**31 - 1  # the scans.id column is a 32-bit integer in PostgreSQL (SQLite allows more)


def decision_key(threshold: float, uncertain_band: float) -> tuple[float, float]:
    """Thresholds as stored and looked up: rounded so that float noise never splits one rule in two."""
    return round(float(threshold), 6), round(float(uncertain_band), 6)


def emotion_key(model: dict) -> str:
    """The expression model a record's `model` block names, as stored ("name@version"), or "" for none."""
    emotion = model.get("emotion")
    return f"{emotion['name']}@{emotion['version']}" if emotion else ""


def floor_key(model: dict) -> int:
    """The smallest face a record's `model` block judges, as stored (0 for none, and for records made before it)."""
    return model.get("smallest_face") or 0


def ceiling_key(model: dict) -> str:
    """The grain ceiling a record's `model` block names when a user chose it (its value, "none" for no ceiling), or ""
    for the model card's own (and for records made before users could choose it)."""
    if model.get("noise_ceiling_source") != "override":
        return ""
    return f"{round(model['noise_ceiling'], 6):g}" if model.get("noise_ceiling") else "none"


def options_key(model: dict) -> str:
    """The decision rule's options a record's `model` block turned on, as stored ("agree"), or "" for none (and for
    records made before there were any)."""
    return "agree" if model.get("agree") else ""


def video_key(model: dict) -> str:
    """How a record's `model` block judges videos: "name@version/frames" of the temporal model, or
    "mean_of_frames/frames" ("" for records made before videos were judged by tracks), with the video threshold
    when a user overrode it."""
    video = model.get("video")
    if not video:
        return ""
    rate = f"@{video['fps']}fps" if video.get("fps") else ""
    chosen = f"@t{decision_key(video['threshold'], 0.0)[0]}" if video.get("threshold_source") == "override" else ""
    return f"{video.get('name', video['aggregation'])}@{video.get('version', '')}/{video['frames']}{rate}{chosen}"


def finder_key(model: dict) -> str:
    """The face finder a record's `model` block names when a user chose it ("detector/mode"), or "" for the model
    card's own (and for records made before the block existed)."""
    faces = model.get("faces")
    return f"{faces['detector']}/{faces['mode']}" if faces and faces["source"] == "override" else ""


@dataclass(frozen=True)
class StoredScan:
    """A verdict record as kept in the store. `cached` is True when it was found rather than just stored."""

    id: int
    record: dict
    scanned_at: datetime
    cached: bool = False

    def to_dict(self) -> dict:
        """The verdict record with its `stored` block (id, time of scan, whether it came from the store)."""
        return {**self.record, "stored": {"id": self.id, "scanned_at": self.scanned_at.isoformat(),
                                          "cached": self.cached}}


class ResultStore:
    """Open (and migrate to the latest schema) the database at `url`, e.g. `sqlite:///facetrust.db`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        upgrade_schema(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def find(self, sha256: str, model: dict) -> StoredScan | None:
        """The stored scan of these bytes by this model (the record's `model` block: name, version, decision
        rule, expression and video models, if any, and a face finder, grain ceiling and rule options the user chose),
        or None."""
        threshold, uncertain_band = decision_key(model["threshold"], model["uncertain_band"])
        query = select(ScanRow).where(ScanRow.sha256 == sha256, ScanRow.model_name == model["name"],
                                      ScanRow.model_version == model["version"], ScanRow.threshold == threshold,
                                      ScanRow.uncertain_band == uncertain_band,
                                      ScanRow.emotion_model == emotion_key(model),
                                      ScanRow.video_model == video_key(model),
                                      ScanRow.smallest_face == floor_key(model),
                                      ScanRow.face_finder == finder_key(model),
                                      ScanRow.noise_ceiling == ceiling_key(model),
                                      ScanRow.rule_options == options_key(model))
        with self._session() as session:
            row = session.scalars(query).first()
        return _stored(row, cached=True) if row else None

    def submit(self, stored: StoredScan, name: str, owner: str = "") -> StoredScan:
        """Record that `owner` asked for this stored scan under `name`; the record returned carries that name."""
        with self._session.begin() as session:
            session.add(SubmissionRow(scan_id=stored.id, name=name[:1024], owner=owner, submitted_at=datetime.now(UTC)))
        return _named(stored, name)

    def add(self, result: ScanResult, owner: str = "") -> StoredScan:
        """Store a new record and its submission; if another writer stored the same scan first, submit that one."""
        model = result.model
        threshold, uncertain_band = decision_key(model["threshold"], model["uncertain_band"])
        row = ScanRow(sha256=result.sha256, name=result.input[:1024], size_bytes=result.size_bytes,
                      media_type=result.kind, model_name=model["name"], model_version=model["version"],
                      threshold=threshold, uncertain_band=uncertain_band, emotion_model=emotion_key(model),
                      video_model=video_key(model), smallest_face=floor_key(model), face_finder=finder_key(model),
                      noise_ceiling=ceiling_key(model), rule_options=options_key(model),
                      verdict=result.verdict, p_fake=result.p_fake,
                      provenance=result.provenance["finding"] if result.provenance else None,
                      face_count=len(result.faces), total_ms=result.timings_ms.get("total", 0.0),
                      record=result.to_dict(), scanned_at=datetime.now(UTC))
        try:
            with self._session.begin() as session:
                session.add(row)
                session.add(SubmissionRow(scan=row, name=row.name, owner=owner, submitted_at=row.scanned_at))
        except IntegrityError:
            existing = self.find(result.sha256, model)
            if existing is None:
                raise
            return self.submit(existing, result.input, owner)
        return _stored(row, cached=False)

    def get(self, scan_id: int, owner: str | None = None) -> StoredScan | None:
        """A stored scan by id; with `owner`, only if that owner submitted it, under the name they used."""
        if not 0 < scan_id <= MAX_ID:  # outside the id column's range no row can match (and drivers raise)
            return None
        with self._session() as session:
            if owner is None:
                row = session.get(ScanRow, scan_id)
                return _stored(row, cached=True) if row else None
            query = (select(SubmissionRow).where(SubmissionRow.scan_id == scan_id, SubmissionRow.owner == owner)
                     .order_by(SubmissionRow.id.desc()).limit(1))
            submission = session.scalars(query).first()
        return _submitted(submission) if submission else None

    def list(self, verdict: str | None = None, since: datetime | None = None, limit: int = 50,
             owner: str | None = None, provenance: str | None = None) -> list[StoredScan]:
        """Submissions, newest first, each under its own name: optionally one verdict, one provenance finding,
        submitted at or after `since`, and only one owner's."""
        query = select(SubmissionRow).join(SubmissionRow.scan).order_by(SubmissionRow.id.desc()).limit(limit)
        if verdict:
            query = query.where(ScanRow.verdict == verdict)
        if provenance:
            query = query.where(ScanRow.provenance == provenance)
        if since:
            query = query.where(SubmissionRow.submitted_at >= _utc(since))
        if owner is not None:
            query = query.where(SubmissionRow.owner == owner)
        with self._session() as session:
            return [_submitted(submission) for submission in session.scalars(query)]

    def count(self) -> int:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(ScanRow)) or 0

    def close(self) -> None:
        self.engine.dispose()


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest Alembic revision (creating the tables in an empty one)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def engine_for(url: str) -> Engine:
    """A SQLAlchemy engine for a store URL (`postgresql://` means the psycopg 3 driver)."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise FacetrustError(f"{url}: unsupported database URL; use sqlite:///FILE or postgresql://...")
    if url.startswith("sqlite:"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets a running server and a `scan --db` batch share one file without blocking readers."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _stored(row: ScanRow, cached: bool) -> StoredScan:
    return StoredScan(row.id, row.record, _aware(row.scanned_at), cached)


def _submitted(submission: SubmissionRow) -> StoredScan:
    return _named(_stored(submission.scan, cached=True), submission.name)


def _named(stored: StoredScan, name: str) -> StoredScan:
    """The stored scan as the submission under `name` sees it: the shared record with that input name."""
    return replace(stored, record={**stored.record, "input": name})


def _utc(moment: datetime) -> datetime:
    """The same moment in UTC. SQLite keeps the UTC wall-clock time as text, with no offset, so a bound given in
    another zone must be converted before comparing (naive bounds mean UTC, like everything stored)."""
    return _aware(moment).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything the store writes is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)



