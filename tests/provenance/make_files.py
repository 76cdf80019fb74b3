"""Files with provenance, made here (never downloaded): C2PA-signed JPEG and PNG files under a certificate
chain generated on the spot, a tampered signed file, generator PNG text chunks, XMP digital source types, a
malformed manifest and a stripped file. `python -m tests.provenance.make_files OUT` writes them all.
"""

from __future__ import annotations

import datetime
import io
import json
import sys
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, PngImagePlugin
from skimage import data as skdata

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "facetrust test CA")])


def _certificate(subject: str, issuer: str, key, issuer_key, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def test_signer(common_name: str) -> c2pa.Signer:
    """An ES256 signer whose chain (leaf + intermediate under a throwaway root) exists only for this run."""
    root_key, middle_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    middle = _certificate("facetrust test intermediate", "facetrust test root", middle_key, root_key, ca=True)
    leaf = _certificate(common_name, "facetrust test intermediate", leaf_key, middle_key, ca=False)
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, middle))
    key = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=key, ta_url=None))


def face(fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def signed(image: bytes, mime: str, generator: str, signer_name: str, actions: list[dict]) -> bytes:
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": "test",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}]}
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(test_signer(signer_name), mime, io.BytesIO(image), out)
    return out.getvalue()


def ai_signed_jpeg() -> bytes:
    return signed(face("JPEG", quality=90), "image/jpeg", "Test Image Generator", "Test Image Generator Signer",
                  [{"action": "c2pa.created", "digitalSourceType": IPTC + "trainedAlgorithmicMedia"}])


def camera_signed_jpeg() -> bytes:
    return signed(face("JPEG", quality=90), "image/jpeg", "Test Camera Firmware", "Test Camera Co",
                  [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"}])


def edited_signed_png() -> bytes:
    return signed(face("PNG"), "image/png", "Test Photo Editor", "Test Editor Inc",
                  [{"action": "c2pa.created", "digitalSourceType": IPTC + "digitalCapture"},
                   {"action": "c2pa.color_adjustments"}])


def tampered_ai_jpeg() -> bytes:
    """The AI-signed JPEG with pixels changed after signing (a few bytes of the scan data flipped)."""
    data = bytearray(ai_signed_jpeg())
    scan = data.rindex(b"\xff\xda")
    for offset in range(200, 240):
        data[scan + offset] ^= 0x55
    return bytes(data)


def generator_png(key: str) -> bytes:
    """A PNG with an image generator's text chunk: `parameters` (AUTOMATIC1111) or `prompt` (ComfyUI)."""
    info = PngImagePlugin.PngInfo()
    value = ("a portrait photo of a woman, 85mm\nSteps: 30, Sampler: DPM++ 2M, CFG scale: 7, Seed: 1234, "
             "Model: sd_xl_base_1.0" if key == "parameters" else json.dumps({"3": {"class_type": "KSampler"}}))
    info.add_text(key, value)
    info.add_text("Software", "test generator")
    buffer = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def xmp_jpeg(source_type: str, well_formed: bool = True) -> bytes:
    """A JPEG whose XMP packet (APP1) states an IPTC digital source type; or a broken packet."""
    packet = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              f'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
              f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Test Generator 2" '
              f'Iptc4xmpExt:DigitalSourceType="{IPTC}{source_type}"/></rdf:RDF></x:xmpmeta>')
    if not well_formed:
        packet = packet.replace("</rdf:RDF>", "<rdf:Bag></rdf:RDF>")
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode()
    jpeg = face("JPEG", quality=90)
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:2] + app1 + jpeg[2:]


def malformed_manifest_jpeg() -> bytes:
    """A signed JPEG whose manifest store (JUMBF in APP11) is damaged inside: the library cannot parse it."""
    data = bytearray(ai_signed_jpeg())
    start = data.index(b"jumb")
    for offset in range(40, 120):
        data[start + offset] = 0xEE
    return bytes(data)


def stripped_jpeg() -> bytes:
    return face("JPEG", quality=90)


FILES = {
    "ai_signed.jpg": ai_signed_jpeg, "camera_signed.jpg": camera_signed_jpeg, "edited_signed.png": edited_signed_png,
    "tampered_ai.jpg": tampered_ai_jpeg, "a1111.png": lambda: generator_png("parameters"),
    "comfyui.png": lambda: generator_png("prompt"), "xmp_ai.jpg": lambda: xmp_jpeg("trainedAlgorithmicMedia"),
    "xmp_camera.jpg": lambda: xmp_jpeg("digitalCapture"), "xmp_malformed.jpg": lambda: xmp_jpeg("x", False),
    "malformed_manifest.jpg": malformed_manifest_jpeg, "stripped.jpg": stripped_jpeg,
}

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (out / name).write_bytes(make())
        print(out / name)
