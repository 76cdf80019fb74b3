"""The web page in a real browser: headless Debian Chromium driven by Playwright against a real server."""

import contextlib
import shutil
from pathlib import Path

import pytest

from facetrust.service.launch import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandboxed machine without network or GPU (see the machine notes in the README).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@contextlib.contextmanager
def opened_page(browser, tmp_path: Path):
    """The page of a fresh server, loaded; yields it and the list its console errors go to."""
    with running_server(f"sqlite:///{tmp_path / 'scans.db'}", tmp_path / "server.log") as base:
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.goto(base + "/")
        page.wait_for_selector("#model-info:has-text('model facetrust')")
        yield page, problems


def test_upload_shows_verdict_and_face_box(browser, shared_data, tmp_path):
    # A 600x600 photo from the data (the face is detected, not the whole image), then the bundled
    # public-domain example, whose page is the screenshot used in docs/SERVICE.md.
    faces = [sorted((shared_data / "faces/yonsei/real").glob("*.jpg"))[0], EXAMPLES / "scene_astronaut.jpg"]
    with opened_page(browser, tmp_path) as (page, problems):
        for face in faces:
            page.set_input_files("#file-input", str(face))
            verdict = page.wait_for_selector(f"#overall:has-text('{face.name}') #overall-verdict", timeout=60_000)
            assert verdict.inner_text() in {"REAL", "FAKE", "UNCERTAIN"}
            box = page.wait_for_selector("#boxes .box")
            width, height = box.bounding_box()["width"], box.bounding_box()["height"]
            assert 30 < width < 500 and 30 < height < 600  # a face-sized box drawn over the preview
            page.wait_for_selector(f"#scans tbody tr td:has-text('{face.name}')")  # the history lists it
        screenshot = tmp_path / "web_page.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000
        assert not problems, problems
        print(f"screenshot: {screenshot}")


def test_an_iphone_photo_gets_its_verdict_without_a_broken_preview(browser, tmp_path):
    # Chromium cannot show HEIC: the server reads it, the page shows the verdict and hides the picture it cannot draw.
    import pillow_heif
    from PIL import Image

    photo = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(Image.open(EXAMPLES / "scene_astronaut.jpg")).save(photo, quality=90)
    with opened_page(browser, tmp_path) as (page, problems):
        page.set_input_files("#file-input", str(photo))
        verdict = page.wait_for_selector("#overall:has-text('IMG_0001.HEIC') #overall-verdict", timeout=60_000)
        assert verdict.inner_text() in {"REAL", "FAKE", "UNCERTAIN"}
        page.wait_for_selector("#faces tbody tr")  # the face found in the HEIC is listed
        page.wait_for_selector("#preview", state="hidden")
        assert not problems, problems


def test_an_analyst_asks_for_agreement_before_an_accusation(browser, shared_data, tmp_path):
    # A real k140 photo re-coded as a video still (H.264 crf 32): the sharp branch accuses it, the soft one does not.
    import cv2
    import numpy as np

    from facetrust.report.degrade import DEGRADATIONS

    photo = sorted((shared_data / "faces/k140/test/real").glob("*.jpg"))[14]
    still = DEGRADATIONS["h264"].apply(cv2.imread(str(photo))[..., ::-1].copy(), 32.0, np.random.default_rng(0))
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), still[..., ::-1])
    with opened_page(browser, tmp_path) as (page, problems):
        page.click("#upload summary")
        page.check("#agree")
        page.set_input_files("#file-input", str(path))
        verdict = page.wait_for_selector("#overall:has-text('still.png') #overall-verdict", timeout=60_000)
        assert verdict.inner_text() == "UNCERTAIN"
        assert "called fake only if the soft branch agrees (set by you)" in page.inner_text("#overall")
        assert "second opinion, soft branch" in page.inner_text("#faces tbody")
        assert not problems, problems


def test_an_animated_gif_is_shown_and_judged_over_its_frames(browser, tmp_path):
    from PIL import Image

    scene = Image.open(EXAMPLES / "scene_astronaut.jpg")
    frames = [Image.new("RGB", scene.size, (40, 40, 40)), scene, scene.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(tmp_path / "swap.gif", save_all=True, append_images=frames[1:], duration=[800, 400, 400], loop=0)
    with opened_page(browser, tmp_path) as (page, problems):
        page.set_input_files("#file-input", str(tmp_path / "swap.gif"))
        page.wait_for_selector("#overall:has-text('swap.gif') #overall-verdict", timeout=60_000)
        assert "animated GIF judged as a video" in page.inner_text("#overall")
        page.wait_for_selector("#preview", state="visible")  # the animation itself is shown
        page.wait_for_selector("#timeline-box", state="visible")  # its faces over time, the first frame has none
        assert page.query_selector_all("#boxes .box") == []  # no boxes: they would mix frames
        assert not problems, problems


def test_the_page_shows_provenance_and_filters_by_it(browser, tmp_path):
    from playwright.sync_api import expect

    from tests.provenance.make_files import ai_signed_jpeg, stripped_jpeg

    (tmp_path / "ai_signed.jpg").write_bytes(ai_signed_jpeg())
    (tmp_path / "plain.jpg").write_bytes(stripped_jpeg())
    with opened_page(browser, tmp_path) as (page, problems):
        for name in ("plain.jpg", "ai_signed.jpg"):
            page.set_input_files("#file-input", str(tmp_path / name))
            page.wait_for_selector(f"#overall:has-text('{name}')", timeout=60_000)
        statement = page.wait_for_selector("#provenance:not([hidden]) #provenance-statement")
        assert "declared AI by Test Image Generator" in statement.inner_text()
        page.select_option("#provenance-filter", "declared_ai")
        expect(page.locator("#scans tbody tr")).to_have_count(1)  # (the page's CSP forbids wait_for_function's eval)
        assert "ai_signed.jpg" in page.inner_text("#scans tbody") and "plain.jpg" not in page.inner_text("#scans tbody")
        assert not problems, problems
