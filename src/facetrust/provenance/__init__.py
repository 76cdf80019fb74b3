"""Provenance evidence beside the pixel verdict: Content Credentials (C2PA), IPTC digital source type in XMP,
image-generator PNG text chunks and EXIF make, model and software (`read_provenance`)."""

from facetrust.provenance.reader import FINDINGS, Provenance, read_provenance

__all__ = ["FINDINGS", "Provenance", "read_provenance"]
