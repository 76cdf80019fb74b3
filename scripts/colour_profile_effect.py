"""What reading a wide-gamut photo as sRGB does to the detector, and what converting its colour profile undoes
(docs/VERDICT_SCHEMA.md, "notes").

Usage: python scripts/colour_profile_effect.py --profile AdobeRGB1998.icc [--data ../shared/data/faces/k140/test]
(an Adobe RGB profile: e.g. Debian's colord-data package, `apt-get download colord-data && dpkg-deb -x
colord-data_*.deb colord`, then colord/usr/share/color/icc/colord/AdobeRGB1998.icc), or
`--display-p3-heif` instead of `--profile`. Each photo of a split folder is scanned three ways: as it is (sRGB); its
colours stored in the wide space's values and tagged with it, as a camera set to Adobe RGB saves them in a JPEG
(quality 95) or a phone in a HEIF (quality 90) whose coded primaries say Display P3 (facetrust converts them back);
the same values untagged, which is what reading them as sRGB amounts to (what facetrust did before). Printed: ROC-AUC,
and the share of real and of fake photos called fake (P(fake) at or above the card's threshold plus band).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageCms
from tqdm import tqdm

from facetrust.data.datasets import discover
from facetrust.detection import Scanner
from facetrust.evaluation.metrics import binary_metrics
from facetrust.media.colour import D65, convert_pixels, nclx_to_srgb_matrix

DISPLAY_P3 = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))


def jpeg(image: Image.Image, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **({"icc_profile": icc} if icc else {}))
    return buffer.getvalue()


def heif(image: Image.Image, primaries: int) -> bytes:
    """A HEIF whose nclx box names its primaries (12 Display P3, 1 sRGB's), as phones write them."""
    image.info["nclx_profile"] = {"color_primaries": primaries, "transfer_characteristics": 13,
                                  "matrix_coefficients": 6, "full_range_flag": 1}
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=90)
    return buffer.getvalue()


def icc_files(profile: Path):
    """The three files of a photo with an ICC profile: sRGB, wide and tagged, wide untagged (JPEGs)."""
    wide = ImageCms.ImageCmsProfile(str(profile))
    to_wide = ImageCms.buildTransform(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")), wide, "RGB", "RGB")

    def files(rgb: Image.Image) -> tuple[bytes, bytes, bytes]:
        widened = ImageCms.applyTransform(rgb, to_wide)
        return jpeg(rgb, None), jpeg(widened, wide.tobytes()), jpeg(widened, None)
    return files, repr(ImageCms.getProfileDescription(wide).strip())


def display_p3_files(rgb: Image.Image) -> tuple[bytes, bytes, bytes]:
    """The three files of a phone's Display P3 photo: sRGB, P3 and tagged by nclx, P3 said to be sRGB (HEIFs)."""
    to_p3 = np.linalg.inv(nclx_to_srgb_matrix(DISPLAY_P3, D65))
    widened = Image.fromarray(convert_pixels(np.asarray(rgb), to_p3))
    return heif(rgb, 1), heif(widened.copy(), 12), heif(widened, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    space = parser.add_mutually_exclusive_group(required=True)
    space.add_argument("--profile", type=Path, help="a wide-gamut RGB ICC profile")
    space.add_argument("--display-p3-heif", action="store_true", help="HEIF photos whose nclx box says Display P3")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces/k140/test"))
    args = parser.parse_args()
    if args.display_p3_heif:
        files, space_name = display_p3_files, "Display P3 (HEIF nclx)"
    else:
        files, space_name = icc_files(args.profile)
    scanner = Scanner(provenance=False)
    line = scanner.decision.threshold + scanner.decision.uncertain_band
    ways = ("sRGB, as shipped", "wide values, tagged (converted now)", "wide values read as sRGB (before)")
    scores: dict[str, list[float]] = {way: [] for way in ways}
    labels = []
    for sample in tqdm(discover(args.data), desc="photos", unit="photo"):
        rgb = Image.open(sample.path).convert("RGB")
        results = [scanner.scan(data, name=sample.path.name) for data in files(rgb)]
        if any(result.p_fake is None for result in results):
            continue  # no face found one way: left out of all three
        labels.append(sample.label)
        for way, result in zip(ways, results, strict=True):
            scores[way].append(result.p_fake)
    labels_array = np.array(labels)
    print(f"{len(labels)} photos ({int((labels_array == 0).sum())} real) of {args.data}, colour space {space_name}")
    print("\n| read | ROC-AUC | real called fake | fakes called fake |\n|---|---:|---:|---:|")
    for way, values in scores.items():
        metrics = binary_metrics(labels_array, np.array(values), line)
        print(f"| {way} | {metrics['roc_auc']:.3f} | {metrics['fpr']:.3f} | {metrics['recall']:.3f} |")


if __name__ == "__main__":
    main()
