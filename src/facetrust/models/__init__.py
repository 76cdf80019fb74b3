"""Model registry, backbones, heads, preprocessing and weight I/O. Importing registers every model."""

from facetrust.models import backbones, ensemble, fusion, mini_xception, simple, two_branch
from facetrust.models.heads import BackboneClassifier
from facetrust.models.preprocess import Preprocess
from facetrust.models.registry import create_model, list_models, model_entry, register_model

__all__ = ["BackboneClassifier", "Preprocess", "backbones", "create_model", "ensemble", "fusion", "list_models",
           "mini_xception", "model_entry", "register_model", "simple", "two_branch"]
