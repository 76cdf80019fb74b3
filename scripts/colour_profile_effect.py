"""What reading a wide-gamut photo as sRGB does to the detector, and what converting its colour profile undoes
(docs/VERDICT_SCHEMA.md, "notes").

Usage: python scripts/colour_profile_effect.py --profile AdobeRGB1998.icc [--data ../shared/data/faces/k140/test]
(an Adobe RGB profile: e.g. Debian's colord-data package, `apt-get download colord-data && dpkg-deb -x
colord-data_*.deb colord`, then colord/usr/share/color/icc/colord/AdobeRGB1998.icc). Each photo of a split folder is
scanned three ways, each saved as JPEG quality 95: as it is (sRGB); its colours stored in the wide profile's values
and tagged with it, as a camera set to Adobe RGB saves them (facetrust converts them back); the same values untagged,
which is what reading them as sRGB amounts to (what facetrust did before). Printed: ROC-AUC, and the share of real
and of fake photos called fake (P(fake) at or above the card's threshold plus band).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms
from tqdm import tqdm

from facetrust.data.datasets import discover
from facetrust.detection import Scanner
from facetrust.evaluation.metrics import binary_metrics


def jpeg(image: Image.Image, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **({"icc_profile": icc} if icc else {}))
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, required=True, help="a wide-gamut RGB ICC profile")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces/k140/test"))
    args = parser.parse_args()
    wide = ImageCms.ImageCmsProfile(str(args.profile))
    to_wide = ImageCms.buildTransform(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")), wide, "RGB", "RGB")
    scanner = Scanner(provenance=False)
    line = scanner.decision.threshold + scanner.decision.uncertain_band
    ways = ("sRGB, as shipped", "wide values, tagged (converted now)", "wide values read as sRGB (before)")
    scores: dict[str, list[float]] = {way: [] for way in ways}
    labels = []
    for sample in tqdm(discover(args.data), desc="photos", unit="photo"):
        rgb = Image.open(sample.path).convert("RGB")
        widened = ImageCms.applyTransform(rgb, to_wide)
        files = (jpeg(rgb, None), jpeg(widened, wide.tobytes()), jpeg(widened, None))
        results = [scanner.scan(data, name=sample.path.name) for data in files]
        if any(result.p_fake is None for result in results):
            continue  # no face found one way: left out of all three
        labels.append(sample.label)
        for way, result in zip(ways, results, strict=True):
            scores[way].append(result.p_fake)
    labels_array = np.array(labels)
    print(f"{len(labels)} photos ({int((labels_array == 0).sum())} real) of {args.data}, profile "
          f"{ImageCms.getProfileDescription(wide).strip()!r}")
    print("\n| read | ROC-AUC | real called fake | fakes called fake |\n|---|---:|---:|---:|")
    for way, values in scores.items():
        metrics = binary_metrics(labels_array, np.array(values), line)
        print(f"| {way} | {metrics['roc_auc']:.3f} | {metrics['fpr']:.3f} | {metrics['recall']:.3f} |")


if __name__ == "__main__":
    main()
