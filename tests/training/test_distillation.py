"""Distillation: a student detector learns a trained teacher's calibrated answers on its own training views, and a
teacher that would see other crops than the student is refused before any work is done."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from facetrust.errors import FacetrustError
from facetrust.training import train
from facetrust.training.distillation import Distillation
from facetrust.training.recipe import face_crop
from tests.training.test_multi_source import _config


@pytest.fixture(scope="module")
def teacher(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher") / "run"
    return train(_config(shared_data, out, epochs=1, self_blend=0.0), progress=False)


def test_the_distilled_loss_is_least_where_the_student_gives_the_teachers_answer(shared_data, tmp_path, teacher):
    crop = face_crop(_config(shared_data, tmp_path))
    distillation = Distillation.from_folder(teacher, 1.0, crop)
    views = [np.random.default_rng(i).integers(0, 256, (64, 64, 3), dtype=np.uint8) for i in range(4)]
    p = torch.from_numpy(distillation.teacher.p_fake(views)).float()
    answer = torch.log(p / (1 - p))
    hard = torch.tensor(0.0)
    at_answer = distillation.loss(hard, answer, views)
    assert at_answer == pytest.approx(float(F.binary_cross_entropy_with_logits(answer, p)), rel=1e-5)
    for shift in (-0.5, 0.5):
        assert distillation.loss(hard, answer + shift, views) > at_answer
    half = Distillation.from_folder(teacher, 0.5, crop)
    assert half.loss(torch.tensor(2.0), answer, views) == pytest.approx(0.5 * 2.0 + 0.5 * float(at_answer), rel=1e-5)


def test_a_student_trains_with_its_teacher_and_its_card_names_it(shared_data, tmp_path, teacher):
    folder = train(_config(shared_data, tmp_path / "student", epochs=1, teacher=str(teacher)), progress=False)
    card = json.loads((folder / "model.json").read_text())
    assert card["training"]["config"]["teacher"] == str(teacher)
    assert card["training"]["config"]["distill_weight"] == 0.5
    weights = (teacher / "model.safetensors").read_bytes()
    assert card["training"]["teacher"]["sha256"] == hashlib.sha256(weights).hexdigest()


def test_a_teacher_that_crops_otherwise_is_refused_at_once(shared_data, tmp_path, teacher):
    with pytest.raises(FacetrustError, match=r"teacher .* face crops"):
        train(_config(shared_data, tmp_path / "student", img_size=48, teacher=str(teacher)), progress=False)
