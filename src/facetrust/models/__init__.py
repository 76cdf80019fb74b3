"""Model registry, backbones, heads, preprocessing and weight I/O. Names load on first use: the models are
PyTorch modules, and a scan on onnxruntime needs none of them (`facetrust.models.registry` registers them when a
model is first built or looked up)."""

from facetrust.lazy import lazy_exports

__all__ = ["BackboneClassifier", "Preprocess", "create_model", "list_models", "model_entry", "register_model"]

__getattr__ = lazy_exports(__name__, {
    "BackboneClassifier": "facetrust.models.heads", "Preprocess": "facetrust.models.preprocess",
    **{name: "facetrust.models.registry" for name in ("create_model", "list_models", "model_entry", "register_model")}})
