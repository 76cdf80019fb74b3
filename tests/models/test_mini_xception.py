"""fer's Keras mini-Xception, rebuilt in PyTorch: the weights must really load (it must read expressions)."""

import cv2
import numpy as np
import torch

from facetrust.emotion import EMOTIONS
from facetrust.models import create_model, model_entry
from facetrust.models.inference import batch_of


def accuracy(model, shared_data, per_class: int = 20) -> float:
    preprocess = model_entry("mini_xception").preprocess
    correct = total = 0
    for label, emotion in enumerate(EMOTIONS):
        files = sorted((shared_data / "emotion/fer2013/public_test" / emotion).iterdir())[:per_class]
        crops = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
        with torch.no_grad():
            predicted = model.eval()(batch_of(preprocess, crops)).argmax(1).numpy()
        correct += int((predicted == label).sum())
        total += len(files)
    return correct / total


def test_fer_weights_read_expressions_and_random_weights_do_not(shared_data):
    assert accuracy(create_model("mini_xception", num_classes=7), shared_data) >= 0.5
    torch.manual_seed(0)
    assert accuracy(create_model("mini_xception", num_classes=7, pretrained=False), shared_data) <= 0.3


def test_output_shape_and_tf_same_pooling():
    model = create_model("mini_xception", num_classes=7, pretrained=False).eval()
    assert model(torch.zeros(2, 1, 64, 64)).shape == (2, 7)
    pooled = model.blocks[0].main[-1](torch.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(pooled[0, 0].numpy(), [[10, 11], [14, 15]])  # padding bottom/right only


def test_the_packaged_classes_are_the_expression_vocabulary():
    from facetrust.models.mini_xception import FER2013_CLASSES

    assert len(EMOTIONS) == FER2013_CLASSES
