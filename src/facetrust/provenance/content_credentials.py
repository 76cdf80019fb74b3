"""Content Credentials (C2PA): the signed manifest a file may carry, read and validated by the official CAI
library (`c2pa-python`), with every network fetch off (no remote manifests, no OCSP): the answer depends only
on the bytes, here and on any machine.

What is kept is what a fact-checker weighs: who signed (certificate subject and issuer), with what tool
(claim generator), whether the signature and the content hash still hold, whether the signer chains to a
trusted root, and what the manifest declares was done (actions and their digital source types).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field

import c2pa

OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_after_reading": True},
           "core": {"allowed_network_hosts": []}}


@dataclass(frozen=True)
class ContentCredentials:
    """The active manifest of a file, as far as a fact-checker needs it."""

    claim_generator: str
    signer: str | None
    issuer: str | None
    signature_valid: bool  # the claim signature verifies and the content still matches what was signed
    trusted: bool  # the signer chains to a root the library trusts (none ship with facetrust: test roots fail)
    validation_state: str  # the library's verdict: Invalid (tampered or badly signed), Valid or Trusted
    failures: list[str] = field(default_factory=list)  # validation codes that failed
    actions: list[str] = field(default_factory=list)  # e.g. c2pa.created, c2pa.edited
    digital_source_types: list[str] = field(default_factory=list)  # the IPTC term at the end of each URI

    def to_dict(self) -> dict:
        return asdict(self)


def may_carry_manifest(data: bytes) -> bool:
    """Whether the bytes hold a JUMBF box or the "c2pa" label: an embedded manifest store is a JUMBF superbox
    labelled "c2pa" (C2PA specification, "Manifest Store"), and remote manifests are never fetched here. Files
    without either (most files) skip the library, whose reader costs about 0.6 ms even when it finds nothing."""
    return b"jumb" in data or b"c2pa" in data


def read_content_credentials(data: bytes, mime: str) -> ContentCredentials | None:
    """The file's active C2PA manifest, or None when it carries none. A manifest the library cannot parse
    raises `c2pa.C2paError` (the caller records it as a provenance error, not a failed scan)."""
    if not may_carry_manifest(data):
        return None
    with c2pa.Context.from_dict(OFFLINE) as context:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=context)
        if reader is None:
            return None
        with reader:
            report = json.loads(reader.json())
    manifest = report.get("manifests", {}).get(report.get("active_manifest"), {})
    signature = manifest.get("signature_info") or {}
    failures = [entry["code"] for entry in report.get("validation_results", {}).get("activeManifest", {})
                .get("failure", [])]
    state = report.get("validation_state", "Invalid")
    actions = [action for assertion in manifest.get("assertions", []) if assertion.get("label", "").startswith(
        "c2pa.actions") for action in assertion.get("data", {}).get("actions", [])]
    return ContentCredentials(
        claim_generator=_generator(manifest), signer=signature.get("common_name"), issuer=signature.get("issuer"),
        signature_valid=state in ("Valid", "Trusted"),  # "Valid": intact and well signed, signer not trusted
        trusted=state == "Trusted", validation_state=state, failures=failures,
        actions=[action.get("action", "") for action in actions],
        digital_source_types=[source_type_term(action["digitalSourceType"]) for action in actions
                              if action.get("digitalSourceType")])


def source_type_term(uri: str) -> str:
    """`http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia` -> `trainedAlgorithmicMedia`."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _generator(manifest: dict) -> str:
    info = manifest.get("claim_generator_info") or []
    if info:
        return " ".join(filter(None, (info[0].get("name"), info[0].get("version"))))
    return manifest.get("claim_generator", "")
