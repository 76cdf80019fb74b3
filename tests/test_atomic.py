"""atomic_write: the target changes whole or not at all, and no temporary file is left behind."""

import pytest

from facetrust.atomic import atomic_write


def test_a_finished_write_replaces_the_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("old")
    with atomic_write(path) as partial:
        assert partial.suffix == ".csv" and partial.parent == tmp_path
        partial.write_text("new")
    assert path.read_text() == "new"
    assert list(tmp_path.iterdir()) == [path]


def test_an_interrupted_write_keeps_the_old_file_and_cleans_up(tmp_path):
    path = tmp_path / "best.safetensors"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_write(path) as partial:
        partial.write_text("half")
        raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]


def test_a_writer_that_writes_nothing_leaves_no_file(tmp_path):
    path = tmp_path / "crop.png"
    with atomic_write(path):
        pass  # e.g. cv2.imwrite returned False
    assert not path.exists()
