import csv
import shutil

import pytest
from PIL import Image

from facetrust.data import crops as crops_module
from facetrust.data.crops import CropSettings, crop_dataset, read_journal
from facetrust.errors import DecodeTimeoutError, FacetrustError

SETTINGS = CropSettings(size=96, frames_per_video=3)


@pytest.fixture
def dataset(tmp_path, shared_data, cat, astronaut_jpeg):
    """A tiny dataset in the usual layout, with one video, one faceless photo and two broken files."""
    root = tmp_path / "src"
    (root / "train/real").mkdir(parents=True)
    (root / "train/fake").mkdir(parents=True)
    for name in ("real_00004.jpg", "real_00008.jpg"):
        shutil.copy(shared_data / "faces/yonsei/real" / name, root / "train/real" / name)
    shutil.copy(sorted((shared_data / "faces/yonsei/fake").iterdir())[0], root / "train/fake/swap.jpg")
    shutil.copy(sorted((shared_data / "video/ffpp_c40/real").glob("youtube_*.mp4"))[0], root / "train/real/clip.mp4")
    Image.fromarray(cat).save(root / "train/real/cat.png")
    (root / "train/fake/truncated.jpg").write_bytes(astronaut_jpeg[:2000])
    (root / "train/fake/notes.jpg").write_text("not an image")
    return root


def rows(dest):
    with open(dest / "manifest.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_crop_builds_aligned_crops_and_a_manifest(dataset, tmp_path):
    dest = tmp_path / "crops"
    summary = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert (summary.total, summary.ok, summary.no_face, summary.errors) == (7, 4, 1, 2)
    manifest = rows(dest)
    assert len(manifest) == summary.crops == 3 + 3  # three photos + three video frames, largest face each
    video_rows = [r for r in manifest if r["source"] == "train/real/clip.mp4"]
    assert sorted(int(r["frame_index"]) for r in video_rows) == [int(r["frame_index"]) for r in video_rows]
    assert all(r["label"] == "real" and r["split"] == "train" for r in video_rows)
    assert {r["label"] for r in manifest if "fake" in r["source"]} == {"fake"}
    for row in manifest:
        with Image.open(dest / row["crop"]) as crop:
            assert crop.size == (96, 96)
        assert float(row["x2"]) > float(row["x1"])
    problems = {p[0]: p for p in summary.problems}
    assert problems["train/real/cat.png"][1] == "no_face"
    assert "damaged or truncated" in problems["train/fake/truncated.jpg"][2]
    assert "not a recognised image" in problems["train/fake/notes.jpg"][2]
    assert (dest / "problems.csv").read_text().count("\n") == 4


def test_interrupted_crop_resumes_without_redoing_finished_files(dataset, tmp_path, monkeypatch):
    dest = tmp_path / "crops"
    real_crop_file = crops_module._crop_file
    calls: list[str] = []

    def crop_then_interrupt(path, *args, **kwargs):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(path.name)
        return real_crop_file(path, *args, **kwargs)

    monkeypatch.setattr(crops_module, "_crop_file", crop_then_interrupt)
    first = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert first.interrupted and len(read_journal(dest / "crop_journal.jsonl")) == 2
    assert len(rows(dest)) >= 1  # the manifest is written on interruption too

    calls.clear()
    monkeypatch.setattr(crops_module, "_crop_file", lambda path, *a, **k: calls.append(path.name) or real_crop_file(
        path, *a, **k))
    second = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert not second.interrupted and second.skipped == 2 and len(calls) == 5
    assert len(read_journal(dest / "crop_journal.jsonl")) == 7
    assert len(rows(dest)) == 6

    third = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert third.skipped == 7 and third.crops == 0


def test_a_torn_journal_line_is_redone(dataset, tmp_path):
    dest = tmp_path / "crops"
    crop_dataset(dataset, dest, SETTINGS, progress=False)
    journal = dest / "crop_journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    again = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert again.skipped == 6 and again.ok + again.no_face + again.errors == 1


def test_a_decoding_time_out_is_listed_and_tried_again_next_run(dataset, tmp_path, monkeypatch):
    dest = tmp_path / "crops"
    real_find = crops_module.find_faces_or_error

    def slow_video(path, *args, **kwargs):
        if path.suffix == ".mp4":
            return DecodeTimeoutError(path.name, "decoding took longer than 120 s")
        return real_find(path, *args, **kwargs)

    monkeypatch.setattr(crops_module, "find_faces_or_error", slow_video)
    first = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert ("train/real/clip.mp4", "timeout", "clip.mp4: decoding took longer than 120 s") in first.problems
    monkeypatch.setattr(crops_module, "find_faces_or_error", real_find)
    again = crop_dataset(dataset, dest, SETTINGS, progress=False)
    assert again.skipped == 6 and again.ok == 1 and again.crops == 3
    assert not [p for p in again.problems if p[1] == "timeout"]
    assert len([r for r in rows(dest) if r["source"] == "train/real/clip.mp4"]) == 3


def test_changed_settings_are_refused(dataset, tmp_path):
    dest = tmp_path / "crops"
    crop_dataset(dataset, dest, SETTINGS, progress=False)
    with pytest.raises(FacetrustError, match="size: 96 -> 128"):
        crop_dataset(dataset, dest, CropSettings(size=128, frames_per_video=3), progress=False)


@pytest.mark.parametrize(("settings", "named"), [(CropSettings(margin=-0.8), "margin"),
                                                 (CropSettings(mode="sideways"), "mode"),
                                                 (CropSettings(detector="hog9000"), "detector")])
def test_bad_crop_settings_are_named_before_anything_is_written(tmp_path, settings, named):
    (tmp_path / "src").mkdir()
    with pytest.raises(FacetrustError, match=f"crop settings: {named}"):
        crop_dataset(tmp_path / "src", tmp_path / "dest", settings)
    assert not (tmp_path / "dest").exists()
