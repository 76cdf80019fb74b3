"""ONNX export parity for every registry architecture, and the onnxruntime backend in use."""

import os
import shutil

import cv2
import numpy as np
import pytest
import torch

from facetrust.bundled import default_model_path
from facetrust.detection import Scanner
from facetrust.embeddings import encode_crops
from facetrust.errors import FacetrustError
from facetrust.models import create_model, list_models, onnx_backend
from facetrust.models.checkpoint import load_model
from facetrust.models.inference import batch_of, extra_inputs
from facetrust.models.onnx_backend import (
    FEATURE_TOLERANCE,
    PARITY_TOLERANCE,
    cached_onnx_runner,
    export_onnx,
    exports_features,
    max_feature_difference,
    max_p_difference,
)
from facetrust.models.onnx_runner import SESSION_BATCH, OnnxRunner
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import model_entry
from facetrust.onnx_graphs import parity_record
from tests.conftest import bundled_network


@pytest.fixture(scope="module")
def crops_and_encodings(astronaut):
    face = astronaut[40:200, 160:300]  # a real face and its surroundings, in three sizes and a mirror
    crops = [face, face[:, ::-1], cv2.resize(face, (90, 90)), astronaut]
    encodings = encode_crops(crops, cached=False)
    assert encodings[:, -1].sum() >= 2, "dlib should find the astronaut's face in most of these crops"
    return crops, encodings


# The ensemble is built from trained member models; its export parity is tested in tests/emotion/test_ensemble.py.
@pytest.mark.parametrize("name", [name for name in list_models() if name != "ensemble"])
def test_every_registry_model_exports_with_matching_outputs(name, tmp_path, crops_and_encodings):
    torch.manual_seed(0)
    size = 64
    module = create_model(name, pretrained=False, size=size).eval()
    needs_encodings = model_entry(name).needs_encodings
    preprocess = Preprocess(**{**model_entry(name).preprocess.to_dict(), "size": size})
    path = export_onnx(module, preprocess.channels, size, tmp_path / f"{name}.onnx", needs_encodings)
    crops, encodings = crops_and_encodings
    inputs = (batch_of(preprocess, crops), *extra_inputs(encodings if needs_encodings else None, slice(None)))
    runner = OnnxRunner(path)
    difference = max_p_difference(module, runner, inputs)
    assert difference <= PARITY_TOLERANCE, f"{name}: {difference}"
    assert runner.has_features == exports_features(module), name
    if runner.has_features:
        assert max_feature_difference(module, runner, inputs[0]) <= FEATURE_TOLERANCE, name


def test_bundled_model_runs_on_onnxruntime_and_says_so(astronaut):
    onnx_scanner = Scanner(frames=4)
    assert onnx_scanner.model.backend == "onnxruntime"
    torch_scanner = Scanner(load_model(default_model_path(), backend="torch"), frames=4)
    assert torch_scanner.model.backend == "torch"
    fast, slow = onnx_scanner.scan(astronaut), torch_scanner.scan(astronaut)
    assert fast.model["backend"] == "onnxruntime" and slow.model["backend"] == "torch"
    assert np.allclose([f.p_fake for f in fast.faces], [f.p_fake for f in slow.faces], atol=PARITY_TOLERANCE)


def test_features_for_video_tracks_come_from_onnxruntime_like_pytorch(crops_and_encodings):
    crops = crops_and_encodings[0]
    fast, slow = load_model(bundled_network()), load_model(bundled_network(), backend="torch")
    assert fast.runner is not None and fast.runner.has_features
    (fast_features, fast_logits), (slow_features, slow_logits) = fast.features(crops), slow.features(crops)
    assert fast_features.shape == slow_features.shape == (len(crops), slow.module.num_features)
    assert np.abs(fast_features - slow_features).max() <= FEATURE_TOLERANCE * max(1.0, np.abs(slow_features).max())
    assert np.allclose(fast_logits, slow_logits, atol=1e-3)
    assert np.allclose(fast_logits, fast.logits(crops), atol=1e-4)  # the head on the features is the logit


def test_a_batch_larger_than_one_session_call_is_scored_in_parts_like_one_by_one(tmp_path):
    torch.manual_seed(0)
    module = create_model("mobilenet_v2", pretrained=False, size=64).eval()
    runner = OnnxRunner(export_onnx(module, 3, 64, tmp_path / "m.onnx"))
    images = torch.rand(SESSION_BATCH * 2 + 3, 3, 64, 64).numpy()
    whole = runner.logits(images)
    one_by_one = np.concatenate([runner.logits(images[i:i + 1]) for i in range(len(images))])
    assert whole.shape[0] == len(images)
    assert np.allclose(whole, one_by_one, atol=1e-5)
    assert runner.logits(images[:0]).shape[0] == 0


def test_the_parity_check_runs_once_per_graph_and_catches_a_graph_of_other_weights(tmp_path, monkeypatch):
    torch.manual_seed(0)
    model, other = (create_model("mobilenet_v2", pretrained=False, size=64).eval() for _ in range(2))
    assert cached_onnx_runner(model, "digest", 3, 64, tmp_path) is not None
    graph = next((tmp_path / "onnx").glob("*.onnx"))
    assert parity_record(graph).is_file()

    def no_second_check(*_):
        raise AssertionError("the parity check ran again for a graph that passed it")

    monkeypatch.setattr(onnx_backend, "max_p_difference", no_second_check)
    assert cached_onnx_runner(model, "digest", 3, 64, tmp_path) is not None
    graph.unlink()  # a graph exported anew is checked anew, whatever the old one's record says
    assert cached_onnx_runner(model, "digest", 3, 64, tmp_path) is None
    monkeypatch.undo()
    export_onnx(other, 3, 64, graph)  # the cached graph now holds other weights, and its record is gone
    parity_record(graph).unlink(missing_ok=True)
    assert cached_onnx_runner(model, "digest", 3, 64, tmp_path) is None


def test_a_model_whose_graph_was_checked_before_loads_without_building_pytorch(crops_and_encodings):
    """The second load finds the checked graph and leaves the PyTorch model unbuilt (image scans never need it:
    no torchvision import, no second copy of the weights); asking for it builds the same model."""
    crops = crops_and_encodings[0]
    load_model(bundled_network())  # exports and checks the graph if this cache has not yet
    fast = load_model(bundled_network())
    assert fast.runner is not None and fast.built is None
    p_fake = fast.p_fake(crops)
    assert fast.built is None
    reference = load_model(bundled_network(), backend="torch")
    assert reference.built is not None
    assert np.allclose(p_fake, reference.p_fake(crops), atol=PARITY_TOLERANCE)
    assert fast.has_branches is False and fast.built is None
    assert fast.module.num_features == reference.module.num_features and fast.built is not None


def test_asking_a_plain_model_for_branch_evidence_does_not_import_pytorch():
    """A scan asks every model whether it has branches; for a one-network model on onnxruntime the answer must not
    load PyTorch (issue 27: one inference backend per scan process)."""
    import subprocess
    import sys

    load_model(bundled_network())  # the graph is exported and checked, so the probe's load leaves PyTorch unbuilt
    probe = ("import sys; from facetrust.models.checkpoint import load_model; "
             f"model = load_model({str(bundled_network())!r}); "
             "print(model.backend, model.has_branches, 'torch' in sys.modules)")
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert printed.split() == ["onnxruntime", "False", "False"]


def test_the_registry_names_every_model_with_branches():
    """`BRANCHED` is what `has_branches` reads without importing the models: it must list exactly those whose
    modules give branch logits (models assembled from trained ones, the ensembles, have none of their own)."""
    from facetrust.models.registry import BRANCHED, list_models, model_entry

    trainable = [name for name in list_models() if model_entry(name).trainable]
    with_branch_logits = {name for name in trainable
                          if hasattr(model_entry(name).build(pretrained=False), "branch_logits")}
    assert with_branch_logits == BRANCHED


def test_weights_changed_after_loading_are_refused_not_mixed(tmp_path):
    """The lazily built PyTorch model must be the one the onnxruntime graph was made from."""
    folder = tmp_path / "model"
    shutil.copytree(bundled_network(), folder)
    load_model(folder)  # the graph is exported and checked, so the next load leaves PyTorch unbuilt
    loaded = load_model(folder)
    assert loaded.built is None
    (folder / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes() + b" ")
    with pytest.raises(FacetrustError, match="changed since the model was loaded"):
        _ = loaded.module


def test_sessions_do_not_spin_wait_unless_asked_and_take_the_threads_they_are_given(tmp_path, monkeypatch):
    # Spinning idle threads take the cores from the decode and face-finding threads beside the classifier
    # (bench/scan_speed.py); a scan must get the quiet kind by default.
    path = export_onnx(create_model("mobilenet_v2", pretrained=False, size=64).eval(), 3, 64, tmp_path / "m.onnx")
    spinning = {spin: OnnxRunner(path, **({} if spin is None else {"spin": spin})).session.get_session_options()
                .get_session_config_entry("session.intra_op.allow_spinning") for spin in (None, True)}
    assert spinning == {None: "0", True: "1"}
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # a number, never 0: onnxruntime would pin its threads
    assert OnnxRunner(path).session.get_session_options().intra_op_num_threads == len(os.sched_getaffinity(0))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what Ray sets for a worker of one CPU
    assert OnnxRunner(path).session.get_session_options().intra_op_num_threads == 1
