import pytest
import timm
import torch

from facetrust.embeddings import ENCODING_INPUTS
from facetrust.errors import FacetrustError
from facetrust.models import create_model, list_models, model_entry
from facetrust.models.backbones import imagenet_effnet_lite, imagenet_mobilenet_v2
from facetrust.models.registry import check_trainable

CATS = {"Egyptian cat", "tiger cat", "tabby, tabby cat"}


@pytest.mark.parametrize(("name", "build"), [
    ("effnet_lite0", lambda: imagenet_effnet_lite(0)),
    ("effnet_lite1", lambda: imagenet_effnet_lite(1)),
    ("effnet_lite2", lambda: imagenet_effnet_lite(2)),
    ("mobilenet_v2", imagenet_mobilenet_v2),
])
def test_packaged_imagenet_weights_really_load(cat, name, build):
    """Before the head is replaced, the real cat photo must come out as a cat."""
    model = build().eval()
    with torch.no_grad():
        top3 = model(model_entry(name).preprocess(cat)[None])[0].topk(3).indices.tolist()
    info = timm.data.ImageNetInfo()
    assert {info.index_to_description(i) for i in top3} == CATS


def test_random_weights_do_not_see_a_cat(cat):
    model = imagenet_effnet_lite(0, pretrained=False).eval()
    with torch.no_grad():
        top3 = model(model_entry("effnet_lite0").preprocess(cat)[None])[0].topk(3).indices.tolist()
    assert {timm.data.ImageNetInfo().index_to_description(i) for i in top3} != CATS


@pytest.mark.parametrize("name", ["ffnn", "cnn", "effnet_lite0", "mobilenet_v2"])
def test_every_registered_model_gives_one_logit_per_image(name):
    preprocess = model_entry(name).preprocess
    model = create_model(name, pretrained=False).eval()
    assert model(torch.zeros(3, preprocess.channels, preprocess.size, preprocess.size)).shape == (3,)


def test_grey_and_seven_class_variants():
    model = create_model("cnn", num_classes=7, channels=1, depth=2, width=8).eval()
    assert model(torch.zeros(2, 1, 48, 48)).shape == (2, 7)


def test_frozen_backbone_trains_only_the_head():
    model = create_model("mobilenet_v2", pretrained=False)
    model.freeze_backbone()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.1.weight", "head.1.bias"}
    model.train()
    assert not model.backbone.training and model.head.training


def test_unknown_model_lists_registered_ones():
    with pytest.raises(ValueError, match="unknown model 'nope'; registered models: cnn, effnet_lite0"):
        create_model("nope")
    assert {"ffnn", "cnn", "effnet_lite0", "effnet_lite1", "effnet_lite2", "mobilenet_v2"} <= set(list_models())


def test_any_timm_architecture_with_a_weights_file(tmp_path):
    from safetensors.torch import save_file

    source = timm.create_model("resnet18", pretrained=False, num_classes=0)
    save_file(source.state_dict(), str(tmp_path / "r18.safetensors"))
    model = create_model("resnet18", weights=str(tmp_path / "r18.safetensors"))
    assert torch.equal(model.backbone.conv1.weight, source.conv1.weight)
    with pytest.raises(ValueError, match="no bundled weights"):
        create_model("resnet18", pretrained=True)


def test_single_channel_input_reuses_imagenet_weights(cat):
    from facetrust.models.preprocess import Preprocess

    grey = Preprocess(size=224, mean=(0.5,) * 3, std=(0.5,) * 3, color="gray")
    image = grey(cat)
    assert image.shape == (1, 224, 224)
    model = create_model("effnet_lite0").eval()
    with torch.no_grad():
        assert model(image[None]).shape == (1,)


@pytest.mark.parametrize("name", ["encoding_mlp", "fusion_cnn_enc", "fusion_effnet_lite0_enc"])
def test_encoding_models_read_images_and_encodings(name):
    entry = model_entry(name)
    assert entry.needs_encodings
    size = entry.preprocess.size
    model = create_model(name, pretrained=False).eval()
    images, encodings = torch.zeros(3, 3, size, size), torch.randn(3, ENCODING_INPUTS)
    logits = model(images, encodings)
    assert logits.shape == (3,)
    assert not torch.allclose(logits, model(images, encodings * 0)), "the encoding must change the answer"


def test_fusion_freezes_only_the_image_backbone():
    model = create_model("fusion_cnn_enc", pretrained=False)
    model.freeze_backbone()
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head", "encoding_branch"}


def test_model_options_are_checked_against_the_builder():
    check_trainable("fusion_cnn_enc", {"width", "encoding_units", "dropout"})
    with pytest.raises(ValueError, match=r"no option\(s\) \['widht'\]; its options: channels, depth"):
        check_trainable("cnn", {"widht"})


def test_the_ensemble_is_refused_for_training_and_points_to_how_it_is_built():
    with pytest.raises(ValueError, match=r"not trained directly.*facetrust emotion ensemble"):
        check_trainable("ensemble", {})
    check_trainable("ensemble", {"members", "weights"}, epochs=0)  # `emotion ensemble` only finishes it
    with pytest.raises(FacetrustError, match="facetrust emotion ensemble --model"):
        create_model("ensemble", num_classes=7)


def test_the_patch_model_scores_local_patches_with_imagenet_blocks():
    model = create_model("mobilenet_v2_patch", blocks=7).eval()
    full = imagenet_mobilenet_v2().features[:7]
    for ours, theirs in zip(model.backbone[0].state_dict().values(), full.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs)  # the packaged ImageNet weights, not random ones
    local = torch.nn.Sequential(model.backbone[0], model.backbone[1])  # the score map before the average
    image = torch.rand(1, 3, 256, 256)
    changed = image.clone()
    changed[:, :, :64, :64] = 0  # the top-left corner only
    with torch.no_grad():
        before, after = local(image), local(changed)
    assert before.shape[-2:] == (32, 32)
    assert torch.equal(before[..., 16:, 16:], after[..., 16:, 16:])  # far locations never see the corner
    assert not torch.equal(before[..., :4, :4], after[..., :4, :4])
