"""`facetrust report`: numbers equal `evaluate` on the same degraded or sliced images; the page renders."""

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from facetrust.bundled import default_model_path
from facetrust.cli import app
from facetrust.models.checkpoint import load_model
from facetrust.report.attributes import user_groups
from facetrust.report.degrade import DEGRADATIONS, file_rng
from facetrust.studies.evaluate import evaluate_model

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def small_set(shared_data: Path, root: Path, source: str, count: int) -> Path:
    for label in ("real", "fake"):
        (root / label).mkdir(parents=True)
        for path in sorted((shared_data / "faces" / source / label).glob("*.jpg"))[:count]:
            (root / label / path.name).symlink_to(path)
    return root


@pytest.fixture(scope="module")
def report(shared_data, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("report")
    k140 = small_set(shared_data, base / "k140" / "test", "k140/test", 10)
    yonsei = small_set(shared_data, base / "yonsei" / "test", "yonsei", 4)  # two folders named test
    attributes = base / "people.csv"
    with open(attributes, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "group"])
        writer.writerows((p.name, "A" if k % 2 else "B") for k, p in enumerate(sorted(k140.rglob("*.jpg"))))
    out = base / "out"
    result = runner.invoke(app, ["report", "--data", str(k140), "--data", str(yonsei), "--out", str(out),
                                 "--attributes", str(attributes), "--degradations", "jpeg,noise", "--keep-degraded"])
    assert result.exit_code == 0, result.output
    return out


def test_datasets_named_alike_each_get_their_own_column(report):
    data = json.loads((report / "report.json").read_text())
    assert list(data["datasets"]) == ["k140/test", "yonsei/test"] and data["primary"] == "k140/test"
    assert [d["n"] + d["skipped"] for d in data["datasets"].values()] == [20, 8]


def test_robustness_numbers_equal_evaluate_on_the_same_degraded_images(report):
    data = json.loads((report / "report.json").read_text())
    point = data["robustness"]["noise"]["points"][-1]
    assert point["strength"] == 20.0
    again = evaluate_model(load_model(default_model_path()), point["data"], progress=False).metrics
    for key in ("roc_auc", "accuracy", "recall", "fpr", "n", "confusion"):
        assert again[key] == point["metrics"][key]
    assert len(data["robustness"]["jpeg"]["points"]) == 4


def test_group_numbers_equal_evaluate_on_the_group_alone(report, tmp_path):
    data = json.loads((report / "report.json").read_text())
    group = data["groups"]["group"]["A"]
    assert group["n"] == 10 and group["too_small"]  # 10 faces: reported, marked too small to judge
    assert set(data["groups"]) >= {"expression", "eyeglasses", "face_size", "sharpness", "group"}
    for path in group["paths"]:
        label = Path(path).parent.name
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / Path(path).name).symlink_to(Path(path).resolve())
    alone = evaluate_model(load_model(default_model_path()), tmp_path, progress=False).metrics
    for key in ("accuracy", "fpr", "fnr", "roc_auc", "n_real", "n_fake"):
        assert alone[key] == group[key]


def test_report_page_and_all_its_pictures_load_in_chromium(report):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    from tests.service.test_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto((report / "index.html").as_uri())
        widths = page.evaluate("Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth])")
        page.screenshot(path=str(report / "screenshot.png"), full_page=True)
        headings = page.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        browser.close()
    sources = {src for src, _ in widths}
    assert {"img/roc.png", "img/pr.png", "img/calibration.png", "img/robustness.png", "img/map.png"} <= sources
    assert any(src.startswith("img/gradcam-") for src in sources)
    assert all(width > 0 for _, width in widths), widths
    assert headings[:3] == ["Datasets side by side", "Calibration", "Robustness"]
    assert (report / "screenshot.png").stat().st_size > 50_000


def test_degradations_are_seeded_per_file(astronaut):
    for degradation in DEGRADATIONS.values():
        strength = degradation.strengths[-1]
        first = degradation.apply(astronaut, strength, file_rng(0, "a.png"))
        again = degradation.apply(astronaut, strength, file_rng(0, "a.png"))
        assert np.array_equal(first, again) and not np.array_equal(first, astronaut)
    noisy = [DEGRADATIONS["noise"].apply(astronaut, 10.0, file_rng(0, name)) for name in ("a.png", "b.png")]
    assert not np.array_equal(*noisy)
    assert DEGRADATIONS["downscale"].apply(astronaut, 0.5, file_rng(0, "a")).shape == (256, 256, 3)


def test_user_attributes_match_by_path_or_file_name(tmp_path):
    table = tmp_path / "attrs.csv"
    table.write_text("path,gender\nimgs/a.jpg,f\nb.jpg,m\n")
    groups = user_groups(table, [str(tmp_path / "imgs/a.jpg"), "/elsewhere/b.jpg", "/x/c.jpg"])
    assert groups == {"gender": ["f", "m", "unknown"]}


def test_map_command_draws_the_embedding_and_lists_clusters(shared_data, tmp_path):
    data = small_set(shared_data, tmp_path / "k140", "k140/test", 12)
    result = runner.invoke(app, ["map", "--data", str(data), "--out", str(tmp_path / "map.png")])
    assert result.exit_code == 0, result.output
    clusters = json.loads((tmp_path / "map.json").read_text())
    assert sum(c["n"] for c in clusters) == 24 and "map written to" in result.output
    assert (tmp_path / "map.png").stat().st_size > 20_000


def test_the_report_counts_what_the_files_declare_about_their_origin(report, tmp_path):
    from facetrust.report.build import provenance_counts
    from facetrust.studies.evaluate import Evaluation
    from tests.provenance.make_files import ai_signed_jpeg, malformed_manifest_jpeg, stripped_jpeg

    saved = json.loads((report / "report.json").read_text())
    counted = sum(sum(of_class.values()) for of_class in saved["provenance"].values())
    assert counted == saved["datasets"][saved["primary"]]["n"]  # every evaluated file, by class
    assert "Provenance declared by the files" in (report / "index.html").read_text()
    paths = []
    made = {"ai.jpg": ai_signed_jpeg, "plain.jpg": stripped_jpeg, "broken.jpg": malformed_manifest_jpeg}
    for name, make in made.items():
        (tmp_path / name).write_bytes(make())
        paths.append(str(tmp_path / name))
    evaluation = Evaluation({}, np.array([1, 0, 1]), np.zeros(3), paths, [])
    assert provenance_counts(evaluation) == {"real": {"none": 1}, "fake": {"declared_ai": 1, "unreadable": 1}}


def test_a_video_still_keeps_an_odd_sized_image_whole_and_loses_detail_with_the_rate_factor(astronaut):
    odd = np.ascontiguousarray(astronaut[:201, :255])
    detail = lambda image: float(cv2.Laplacian(image, cv2.CV_64F).var())  # noqa: E731
    light, heavy = (DEGRADATIONS["h264"].apply(odd, crf, file_rng(0, "a")) for crf in (23.0, 40.0))
    assert light.shape == heavy.shape == odd.shape
    assert detail(heavy) < 0.6 * detail(light) and np.abs(light.astype(int) - odd).mean() < 6
