from pathlib import Path, PurePath

import pytest

from facetrust.data.layout import distinct_names, label_of, split_of
from facetrust.errors import FacetrustError
from facetrust.media.files import expand_inputs


@pytest.mark.parametrize(("path", "label", "split"), [
    ("train/real/a.jpg", "real", "train"),
    ("valid/1_fake/b.png", "fake", "val"),
    ("training_fake/c.jpg", "fake", ""),
    ("test/ai/d.jpg", "fake", "test"),
    ("public_test/happy/e.jpg", "happy", "public_test"),
    ("fake/Deepfakes_1_2.mp4/frame000012.face0.png", "fake", ""),
    ("loose.jpg", "", ""),
])
def test_label_and_split_from_folder_names(path, label, split):
    assert label_of(PurePath(path)) == label and split_of(PurePath(path)) == split


def test_folders_expand_to_media_files_only_in_sorted_order(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b/2.JPG", "b/1.png", "a.mp4", "notes.txt", ".hidden/x.jpg", "manifest.csv"):
        (tmp_path / name).write_bytes(b"x")
    named = tmp_path / "notes.txt"
    found = [p.relative_to(tmp_path).as_posix() for p in expand_inputs([tmp_path, named])]
    assert found == ["a.mp4", "b/1.png", "b/2.JPG", "notes.txt"]  # a file named explicitly is always tried


def test_datasets_named_alike_get_names_that_tell_them_apart():
    assert distinct_names(["../data/k140/test", "../data/dfdc_crops/test", "../data/yonsei"]) == [
        "k140/test", "dfdc_crops/test", "yonsei"]
    assert distinct_names(["a/test", "b/a/test"]) == ["a/test", "b/a/test"]
    with pytest.raises(FacetrustError, match="given twice"):
        distinct_names(["x/test", "x/test"])
