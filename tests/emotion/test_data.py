"""Expression datasets: folders and the FER-2013 CSV, duplicates, conflicts, blanks, CK+ subjects."""

import shutil

import cv2
import numpy as np
import pytest

from facetrust.emotion import clean, discover_emotions
from facetrust.errors import FacetrustError


def fer_files(shared_data, split, label, count):
    return sorted((shared_data / "emotion/fer2013" / split / label).iterdir())[:count]


@pytest.fixture
def messy(tmp_path, shared_data):
    """Real FER faces arranged with every problem: copies within and across splits, a label conflict, a blank."""
    root = tmp_path / "fer"
    happy, sad = fer_files(shared_data, "train", "happy", 4), fer_files(shared_data, "train", "sad", 2)
    for split, label, files in [("train", "happy", happy), ("train", "sad", sad),
                                ("public_test", "happy", happy[:1]),          # also in train: leak
                                ("public_test", "sad", fer_files(shared_data, "public_test", "sad", 2))]:
        (root / split / label).mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy(path, root / split / label / path.name)
    shutil.copy(happy[1], root / "train/happy/copy_of_1.jpg")                # duplicate within a split
    shutil.copy(happy[2], root / "train/sad/conflict.jpg")                   # same image, other label
    cv2.imwrite(str(root / "train/sad/blank.png"), np.full((48, 48), 128, np.uint8))
    return root, happy


def test_folders_give_labels_and_splits(messy):
    root, _ = messy
    samples = discover_emotions(root)
    assert len(samples) == 12
    assert {(s.split, s.label) for s in samples} == {("train", "happy"), ("train", "sad"), ("public_test", "happy"),
                                                     ("public_test", "sad")}
    assert samples[0].image().shape == (48, 48, 3)


def test_clean_drops_leaks_copies_conflicts_and_blanks(messy):
    root, happy = messy
    kept, report = clean(discover_emotions(root))
    names = {(s.split, s.label, s.source.rsplit("/", 1)[-1]) for s in kept}
    assert ("public_test", "happy", happy[0].name) not in names  # the copy of a training image
    assert not any(name in (happy[2].name, "conflict.jpg") for _, _, name in names)  # disagreeing copies: both
    assert ("train", "happy", "copy_of_1.jpg") not in names or ("train", "happy", happy[1].name) not in names
    assert report.blank == 1 and report.conflicting_labels == 1 and report.duplicates_across_splits == 1
    assert len(kept) == 12 - 1 - 1 - 2 - 1


def test_fer_csv(tmp_path, shared_data):
    face = cv2.imread(str(fer_files(shared_data, "train", "happy", 1)[0]), cv2.IMREAD_GRAYSCALE)
    rows = ["emotion,pixels,Usage", f"3,{' '.join(map(str, face.ravel()))},Training",
            f"3,{' '.join(map(str, face.ravel()))},PrivateTest"]
    (tmp_path / "fer2013.csv").write_text("\n".join(rows) + "\n")
    samples = discover_emotions(tmp_path / "fer2013.csv")
    assert [(s.label, s.split) for s in samples] == [("happy", "train"), ("happy", "private_test")]
    np.testing.assert_array_equal(samples[0].image()[..., 0], face)
    kept, report = clean(samples)
    assert [s.split for s in kept] == ["train"] and report.duplicates_across_splits == 1
    (tmp_path / "bad.csv").write_text("emotion,pixels,Usage\n9,1 2 3,Training\n")
    with pytest.raises(FacetrustError, match=r"bad.csv, line 2: expected an emotion 0-6 and 2304 pixel values"):
        discover_emotions(tmp_path / "bad.csv")


def test_ckplus_subjects_and_contempt(shared_data):
    samples = discover_emotions(shared_data / "emotion/ckplus")
    assert len(samples) == 981 and {s.label for s in samples} >= {"contempt", "happy"}
    assert "neutral" not in {s.label for s in samples}
    assert all(s.subject.startswith("S") and len(s.subject) == 4 for s in samples)
    assert len({s.subject for s in samples}) > 100
