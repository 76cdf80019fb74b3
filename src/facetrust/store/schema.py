"""The tables of the results store. Changes go through a new Alembic revision in migrations/versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class ScanRow(Base):
    """One scan of one input by one model with one decision rule (threshold, uncertain band, face floor, a grain
    ceiling and rule options the user chose) and face finder, with or without one expression model, and for videos
    one temporal model and number of sampled frames."""

    __tablename__ = "scans"
    __table_args__ = (UniqueConstraint("sha256", "model_name", "model_version", "threshold", "uncertain_band",
                                       "emotion_model", "video_model", "smallest_face", "face_finder",
                                       "noise_ceiling", "rule_options", name="uq_scans_input_model_decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(16))
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[float] = mapped_column(Float)
    uncertain_band: Mapped[float] = mapped_column(Float)
    emotion_model: Mapped[str] = mapped_column(String(300), default="")  # "name@version" or "" (no expressions)
    video_model: Mapped[str] = mapped_column(String(300), default="")  # "name@version/frames" or "" (mean of frames)
    smallest_face: Mapped[int] = mapped_column(Integer, default=0)  # the rule's face floor in px, 0: none
    face_finder: Mapped[str] = mapped_column(String(100), default="")  # "detector/mode" a user chose, "" the card's
    noise_ceiling: Mapped[str] = mapped_column(String(20), default="")  # a grain ceiling a user chose, "" the card's
    rule_options: Mapped[str] = mapped_column(String(100), default="")  # options a user turned on ("agree"), "" none
    verdict: Mapped[str] = mapped_column(String(16), index=True)
    provenance: Mapped[str | None] = mapped_column(String(20), index=True, nullable=True)  # the finding, if read
    p_fake: Mapped[float | None] = mapped_column(Float, nullable=True)
    face_count: Mapped[int] = mapped_column(Integer)
    total_ms: Mapped[float] = mapped_column(Float)
    record: Mapped[dict] = mapped_column(JSON)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SubmissionRow(Base):
    """One request to scan an input: the name it was sent under and who sent it (a token's fingerprint, or ""
    for the local user), pointing at the content-addressed scan it got, new or found."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"), index=True)
    name: Mapped[str] = mapped_column(String(1024))
    owner: Mapped[str] = mapped_column(String(64), index=True, default="")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    scan: Mapped[ScanRow] = relationship(lazy="joined")
