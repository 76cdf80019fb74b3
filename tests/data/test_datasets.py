import pytest

from facetrust.data.datasets import assign_splits, discover, find_duplicates, split_counts
from facetrust.errors import FacetrustError


def make_files(root, names, content=None):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(name) if content else name.encode())


def test_split_layout_with_aliases(tmp_path):
    make_files(tmp_path, ["train/0_real/a.jpg", "train/1_fake/b.jpg", "valid/real/c.png", "test/ai/d.jpg",
                          "test/notes.txt", "train/unlabelled/e.jpg"])
    samples = discover(tmp_path)
    assert {(s.path.name, s.label, s.split) for s in samples} == {
        ("a.jpg", 0, "train"), ("b.jpg", 1, "train"), ("c.png", 0, "val"), ("d.jpg", 1, "test")}


def test_manifest_csv_and_tsv(tmp_path):
    make_files(tmp_path, ["imgs/x.jpg", "imgs/y.jpg"])
    (tmp_path / "m.csv").write_text("path,label,split\nimgs/x.jpg,real,train\nimgs/y.jpg,1,val\n")
    (tmp_path / "m.tsv").write_text("path\tlabel\nimgs/x.jpg\tfake\n")
    assert [(s.path.name, s.label, s.split) for s in discover(tmp_path / "m.csv")] == [("x.jpg", 0, "train"),
                                                                                        ("y.jpg", 1, "val")]
    assert discover(tmp_path / "m.tsv")[0].label == 1
    (tmp_path / "bad.csv").write_text("path,label\nimgs/x.jpg,maybe\n")
    with pytest.raises(FacetrustError, match="line 2: label 'maybe'"):
        discover(tmp_path / "bad.csv")


def test_deterministic_group_splits(tmp_path):
    make_files(tmp_path, [f"real/{i}.jpg" for i in range(200)] + [f"fake/{i}.jpg" for i in range(200)])
    first = assign_splits(discover(tmp_path), seed=3)
    assert first == assign_splits(discover(tmp_path), seed=3)
    assert first != assign_splits(discover(tmp_path), seed=4)
    counts = split_counts(first)
    assert 40 <= counts["test"]["real"] + counts["test"]["fake"] <= 80
    # The same group (file stem) lands in one split whatever its label.
    by_group = {}
    for sample in first:
        by_group.setdefault(sample.group, set()).add(sample.split)
    assert all(len(splits) == 1 for splits in by_group.values())


def test_duplicates_across_splits_are_dropped_from_evaluation(tmp_path):
    make_files(tmp_path, ["train/real/a.jpg", "test/real/a_copy.jpg", "test/fake/a_relabelled.jpg",
                          "train/fake/b.jpg", "train/fake/b2.jpg", "test/real/c.jpg"],
               content=lambda n: b"A" if "/a" in n else b"B" if "/b" in n else b"C")
    kept, report = find_duplicates(discover(tmp_path))
    assert {p.name for p in report.dropped} == {"a_copy.jpg", "a_relabelled.jpg"}
    assert report.across_splits == 2 and report.within_split == 1 and report.conflicting_labels == 1
    assert {s.path.name for s in kept} == {"a.jpg", "b.jpg", "b2.jpg", "c.jpg"}


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FacetrustError, match="found no images under real/ or fake/"):
        discover(tmp_path)


def test_k140_has_no_cross_split_duplicates(shared_data):
    kept, report = find_duplicates(discover(shared_data / "faces/k140"))
    assert report.across_splits == 0 and len(kept) == 1900
