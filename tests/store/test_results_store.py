from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from facetrust.detection.verdict import FaceVerdict, ScanResult
from facetrust.errors import FacetrustError
from facetrust.store import ResultStore


def result(sha256: str, p_fake: float | None, threshold: float = 0.5) -> ScanResult:
    faces = [] if p_fake is None else [FaceVerdict((1.0, 2.0, 30.0, 40.0), 0.99, "detected", p_fake,
                                                   "fake" if p_fake >= threshold else "real")]
    model = {"name": "m", "version": "v1", "architecture": "cnn", "threshold": threshold, "uncertain_band": 0.0,
             "temperature": 1.0, "tta": None}
    return ScanResult(f"{sha256}.jpg", sha256, "image", 64, 64, faces, model, {"total": 12.5}, size_bytes=1000)


def test_store_keeps_finds_and_lists_records(store_url):
    store = ResultStore(store_url)
    fake, real, empty = result("a" * 64, 0.9), result("b" * 64, 0.1), result("c" * 64, None)
    stored = [store.add(r) for r in (fake, real, empty)]
    assert [s.cached for s in stored] == [False, False, False] and store.count() == 3
    found = store.find("a" * 64, fake.model)
    assert found.id == stored[0].id and found.cached and found.record == fake.to_dict()
    assert store.find("a" * 64, {**fake.model, "version": "v2"}) is None  # another model version
    assert store.find("a" * 64, {**fake.model, "threshold": 0.7}) is None  # another decision rule
    assert store.find("a" * 64, {**fake.model, "smallest_face": 128}) is None  # a floor on face size: another rule
    assert store.find("a" * 64, {**fake.model, "smallest_face": None}).id == stored[0].id  # no floor, as stored
    own = {"detector": "cascade", "mode": "detect", "source": "model"}
    assert store.find("a" * 64, {**fake.model, "faces": own}).id == stored[0].id  # the card's finder, as stored
    for chosen in ({**own, "detector": "mtcnn"}, {**own, "mode": "whole"}):  # a finder or crop mode a user chose
        assert store.find("a" * 64, {**fake.model, "faces": {**chosen, "source": "override"}}) is None
    assert store.get(stored[1].id).record["verdict"] == "real"
    assert store.get(10_000) is None
    assert [s.id for s in store.list()] == [s.id for s in reversed(stored)]
    assert [s.record["verdict"] for s in store.list(verdict="no_face")] == ["no_face"]
    assert len(store.list(limit=2)) == 2
    assert store.list(since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(store.list(since=datetime.now(UTC) - timedelta(hours=1))) == 3
    store.close()


def test_a_grain_ceiling_the_user_chose_is_its_own_entry(store_url):
    store = ResultStore(store_url)
    carded = result("a" * 64, 0.1)
    carded.model.update(noise_ceiling=2.5, noise_ceiling_source="model")
    own = store.add(carded)
    assert store.find("a" * 64, carded.model).id == own.id
    for ceiling in (2.5, 6.0, None):  # set by a user, even at the card's value, or none at all: not the model's scan
        assert store.find("a" * 64, {**carded.model, "noise_ceiling": ceiling, "noise_ceiling_source": "override"}) \
            is None
    loose = result("a" * 64, 0.1)
    loose.model.update(noise_ceiling=None, noise_ceiling_source="override")
    kept = store.add(loose)
    assert kept.id != own.id and store.find("a" * 64, loose.model).id == kept.id
    store.close()


def test_a_scan_under_agreement_is_its_own_entry(store_url):
    store = ResultStore(store_url)
    own = store.add(result("a" * 64, 0.9))
    agreed = result("a" * 64, 0.9)
    agreed.model["agree"] = True
    assert store.find("a" * 64, agreed.model) is None  # the model's own scan did not ask for a second opinion
    kept = store.add(agreed)
    assert kept.id != own.id and store.find("a" * 64, agreed.model).id == kept.id
    assert store.find("a" * 64, {**agreed.model, "agree": False}).id == own.id
    store.close()


def test_same_scan_stored_twice_concurrently_gives_one_row(store_url):
    store = ResultStore(store_url)
    same = result("d" * 64, 0.8)
    with ThreadPoolExecutor(4) as pool:
        stored = list(pool.map(lambda _: store.add(same), range(8)))
    assert store.count() == 1 and len({s.id for s in stored}) == 1
    assert sum(not s.cached for s in stored) == 1
    store.close()


def test_reopening_migrates_once_and_keeps_data(store_url):
    first = ResultStore(store_url)
    first.add(result("e" * 64, 0.3))
    first.close()
    second = ResultStore(store_url)
    assert second.count() == 1
    tables = set(inspect(second.engine).get_table_names())
    assert {"scans", "alembic_version"} <= tables
    second.close()


def test_unsupported_url_is_refused_by_name():
    with pytest.raises(FacetrustError, match="mysql://x: unsupported database URL"):
        ResultStore("mysql://x")


def test_a_scan_with_expressions_is_its_own_entry(store_url):
    store = ResultStore(store_url)
    plain = result("e" * 64, 0.2)
    with_emotion = result("e" * 64, 0.2)
    with_emotion.model = {**plain.model, "emotion": {"name": "fer", "version": "1", "architecture": "mini_xception",
                                                     "temperature": 1.0}}
    store.add(plain)
    assert store.find("e" * 64, with_emotion.model) is None
    stored = store.add(with_emotion)
    assert store.count() == 2 and store.find("e" * 64, with_emotion.model).id == stored.id
    store.close()


def test_videos_judged_another_way_are_their_own_entry(store_url):
    store = ResultStore(store_url)
    by_mean = result("9" * 64, 0.2)
    by_mean.model = {**by_mean.model, "video": {"aggregation": "mean_of_frames", "threshold": 0.5, "frames": 16}}
    by_gru = result("9" * 64, 0.2)
    by_gru.model = {**by_mean.model, "video": {"aggregation": "gru", "name": "v", "version": "1", "threshold": 0.5,
                                               "frames": 32}}
    store.add(by_mean)
    assert store.find("9" * 64, by_gru.model) is None
    assert store.find("9" * 64, {**by_mean.model, "video": {**by_mean.model["video"], "frames": 8}}) is None
    store.add(by_gru)
    assert store.count() == 2 and store.find("9" * 64, by_gru.model).record["model"]["video"]["aggregation"] == "gru"
    store.close()


def test_upgrade_from_the_first_schema_keeps_rows(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from facetrust.store.results import MIGRATIONS, engine_for

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO scans (sha256, name, size_bytes, media_type, model_name, model_version, threshold, "
            "uncertain_band, verdict, p_fake, face_count, total_ms, record, scanned_at) VALUES "
            "(:sha, 'old.jpg', 1, 'image', 'm', 'v1', 0.5, 0.0, 'real', 0.1, 1, 1.0, '{}', '2026-01-01')"),
            {"sha": "f" * 64})
    engine.dispose()
    store = ResultStore(url)
    assert store.count() == 1
    assert store.find("f" * 64, result("f" * 64, 0.1).model) is not None  # old rows are scans without expressions
    assert {"emotion_model", "video_model", "smallest_face", "face_finder", "noise_ceiling", "rule_options"} <= {
        c["name"] for c in inspect(store.engine).get_columns("scans")}
    assert store.find("f" * 64, {**result("f" * 64, 0.1).model, "smallest_face": 128}) is None  # judged without one
    assert [s.record["input"] for s in store.list()] == ["old.jpg"]  # each old scan is its own submission
    store.close()


def test_since_in_any_time_zone_means_the_same_moment(store_url):
    store = ResultStore(store_url)
    stored = store.add(result("d" * 64, 0.9))
    east, west = timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))
    before, after = stored.scanned_at - timedelta(minutes=30), stored.scanned_at + timedelta(minutes=30)
    for zone in (UTC, east, west):
        assert [s.id for s in store.list(since=before.astimezone(zone))] == [stored.id]
        assert store.list(since=after.astimezone(zone)) == []
    assert [s.id for s in store.list(since=before.replace(tzinfo=None))] == [stored.id]  # naive means UTC
    store.close()


@pytest.mark.parametrize("scan_id", [0, -1, 2**31, 2**63, 2**64 + 5])
def test_an_id_outside_the_databases_integer_range_is_simply_not_found(store_url, scan_id):
    store = ResultStore(store_url)
    store.add(result("e" * 64, 0.9))
    assert store.get(scan_id) is None
    store.close()


def test_the_same_bytes_under_another_name_are_listed_under_that_name(store_url):
    # Item 11 of issue 25: content is judged once, but every submission keeps its own name and owner.
    store = ResultStore(store_url)
    first = store.add(result("f" * 64, 0.9), owner="alice")
    found = store.find("f" * 64, first.record["model"])
    again = store.submit(found, "holiday copy.jpg", owner="bob")
    assert again.id == first.id and again.record["input"] == "holiday copy.jpg" and store.count() == 1
    assert [s.record["input"] for s in store.list(owner="bob")] == ["holiday copy.jpg"]
    assert [s.record["input"] for s in store.list(owner="alice")] == [f"{'f' * 64}.jpg"]
    assert [s.record["input"] for s in store.list()] == ["holiday copy.jpg", f"{'f' * 64}.jpg"]
    assert store.get(first.id, owner="bob").record["input"] == "holiday copy.jpg"
    assert store.get(first.id, owner="carol") is None  # never submitted it: not theirs to see
    store.close()
