"""What a file says about where it came from, and one short finding: `declared_ai`, `declared_edited`,
`camera_signed` or `none`.

This is evidence beside the pixel verdict, never a replacement for it: metadata is easy to strip (most
re-uploaded images carry none, so `none` means nothing) and unsigned metadata is easy to forge. A signed
manifest whose signature no longer validates is reported as such, with what it declared.
"""

from __future__ import annotations

from dataclasses import dataclass

import c2pa
import filetype

from facetrust.provenance.content_credentials import ContentCredentials, read_content_credentials
from facetrust.provenance.embedded import MetadataError, generator_of, read_exif, read_png_text, read_xmp

# IPTC digital source types (cv.iptc.org/newscodes/digitalsourcetype) that mean generative AI made or changed it.
AI_SOURCE_TYPES = {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
                   "compositeSynthetic"}
CAPTURE_SOURCE_TYPES = {"digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print"}
EDIT_ACTIONS = {"c2pa.edited", "c2pa.color_adjustments", "c2pa.cropped", "c2pa.drawing", "c2pa.filtered",
                "c2pa.orientation", "c2pa.placed", "c2pa.removed", "c2pa.resized", "c2pa.transcoded",
                "c2pa.converted", "c2pa.repackaged"}
C2PA_MIMES = {"image/jpeg", "image/png", "image/webp", "image/tiff", "image/gif", "video/mp4", "video/quicktime",
              "video/x-msvideo"}  # the formats facetrust reads that can carry a manifest
EXIF_MIMES = {"image/jpeg", "image/tiff", "image/webp"}
FINDINGS = ("declared_ai", "declared_edited", "camera_signed", "none")


@dataclass(frozen=True)
class Provenance:
    finding: str  # one of FINDINGS
    statement: str  # the finding in words, e.g. "declared AI by Adobe Firefly (signature valid, signer untrusted)"
    content_credentials: ContentCredentials | None
    xmp: dict | None
    png_text: dict[str, str] | None
    exif: dict[str, str] | None
    errors: list[str]  # blocks that were present but unreadable; the rest is still reported

    def to_dict(self) -> dict:
        return {"finding": self.finding, "statement": self.statement,
                "c2pa": self.content_credentials.to_dict() if self.content_credentials else None,
                "xmp": self.xmp, "png_text": self.png_text, "exif": self.exif,
                "error": "; ".join(self.errors) or None}


def read_provenance(data: bytes) -> Provenance:
    """Every provenance block of a file (its type sniffed from the bytes); an unreadable block becomes an
    error in the result, never an exception."""
    mime = filetype.guess_mime(data[:8192])
    errors: list[str] = []
    credentials = _guarded(errors, "C2PA manifest",
                           lambda: read_content_credentials(data, mime) if mime in C2PA_MIMES else None)
    xmp = _guarded(errors, "XMP", lambda: read_xmp(data))
    png_text = _guarded(errors, "PNG text", lambda: read_png_text(data))
    exif = _guarded(errors, "EXIF", lambda: read_exif(data, mime)) if mime in EXIF_MIMES else None
    finding, statement = _finding(credentials, xmp, png_text)
    return Provenance(finding, statement, credentials, xmp, png_text, exif, errors)


def _guarded(errors: list[str], what: str, read):
    try:
        return read()
    except (MetadataError, c2pa.C2paError) as exc:
        errors.append(f"{what}: {exc}")
        return None


def _finding(credentials: ContentCredentials | None, xmp: dict | None,
             png_text: dict[str, str] | None) -> tuple[str, str]:
    """The strongest declaration found: AI over edited over camera; a signed one is named with its state."""
    signed_types = set(credentials.digital_source_types) if credentials else set()
    unsigned_types = set(xmp["digital_source_types"]) if xmp else set()
    generator = generator_of(png_text) if png_text else None
    tool = credentials.claim_generator or "an unnamed tool" if credentials else None
    if credentials and signed_types & AI_SOURCE_TYPES:
        return "declared_ai", f"declared AI by {tool} ({_state(credentials)})"
    if unsigned_types & AI_SOURCE_TYPES:
        creator = xmp.get("creator_tool") if xmp else None
        return "declared_ai", f"declared AI in XMP metadata{f' by {creator}' if creator else ''} (unsigned)"
    if generator:
        return "declared_ai", f"image-generator settings in PNG text ({generator}; unsigned)"
    if credentials and set(credentials.actions) & EDIT_ACTIONS:
        return "declared_edited", f"declared edited by {tool} ({_state(credentials)})"
    if credentials and (signed_types & CAPTURE_SOURCE_TYPES or "c2pa.created" in credentials.actions):
        return "camera_signed", f"signed at capture by {credentials.signer or credentials.claim_generator} " \
                                f"({_state(credentials)})"
    return "none", "no provenance declared (most files have none: this says nothing about the pixels)"


def _state(credentials: ContentCredentials) -> str:
    if not credentials.signature_valid:
        return "signature INVALID: the file was changed after signing, or the signature is broken"
    return "signature valid, signer trusted" if credentials.trusted else "signature valid, signer not on a trust list"
