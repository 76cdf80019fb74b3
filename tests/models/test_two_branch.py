import pytest
import torch
from safetensors.torch import save_file

from facetrust.models import create_model
from facetrust.models.weights_io import start_from


@pytest.fixture(scope="module")
def one_branch():
    torch.manual_seed(0)
    return create_model("mobilenet_v2", pretrained=False).eval()


def test_a_trained_one_branch_detector_is_its_start_and_scores_the_same(one_branch, tmp_path):
    path = tmp_path / "one.safetensors"
    save_file(one_branch.state_dict(), str(path))
    model = create_model("mobilenet_v2_two_branch", pretrained=False).eval()
    fresh = start_from(model, path)
    assert {name.split(".")[0] for name in fresh} == {"patch", "patch_head"}
    images = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        assert torch.allclose(model(images), one_branch(images), atol=1e-5)


def test_weights_of_another_architecture_are_refused(tmp_path):
    path = tmp_path / "patch.safetensors"
    save_file(create_model("mobilenet_v2_patch", pretrained=False).state_dict(), str(path))
    with pytest.raises(ValueError, match="do not fit"):
        start_from(create_model("mobilenet_v2_two_branch", pretrained=False), path)


def test_the_branch_logits_add_up_to_the_verdicts_logit():
    model = create_model("mobilenet_v2_two_branch", pretrained=False)
    torch.nn.init.normal_(model.patch_head[1].weight)
    model.eval()
    images = torch.rand(3, 3, 128, 128)
    with torch.no_grad():
        logits, features = model.logits_and_features(images)
        branches = model.branch_logits(features)
    assert torch.allclose(branches["face"] + branches["patch"], logits, atol=1e-5)
    assert torch.allclose(model.classify(features), logits, atol=1e-5)
    assert features.shape == (3, model.num_features) == (3, 1280 + 256)


def test_branch_dropout_leaves_each_branch_alone_on_some_crops_in_training_only():
    model = create_model("mobilenet_v2_two_branch", pretrained=False, branch_drop=0.5, dropout=0.0)
    torch.nn.init.normal_(model.patch_head[1].weight)
    images = torch.rand(32, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        branches = model.branch_logits(model.features(images))
        model.train()
        for module in model.modules():  # batch statistics aside, training differs only by the dropped branch
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eval()
        torch.manual_seed(1)
        logits = model(images)
    face_only = torch.isclose(logits, branches["face"], atol=1e-5)
    patch_only = torch.isclose(logits, branches["patch"], atol=1e-5)
    assert bool((face_only | patch_only).all())  # at 0.5 every crop keeps exactly one branch
    assert face_only.sum() >= 5 and patch_only.sum() >= 5


def test_branch_drop_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="branch_drop"):
        create_model("mobilenet_v2_two_branch", pretrained=False, branch_drop=0.7)
