"""Embedding maps: what the model's penultimate features look like in 2-D, and which faces cluster."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetrust.models.checkpoint import LoadedModel
from facetrust.report.plots import save_embedding_map
from facetrust.studies.evaluate import Evaluation


def embedding_map(model: LoadedModel, evaluation: Evaluation, crops: list[np.ndarray], seed: int, path: Path,
                  title: str) -> list[dict]:
    """Penultimate features → UMAP (2-D) → HDBSCAN clusters drawn at `path`; how pure each cluster is."""
    import umap
    from sklearn.cluster import HDBSCAN

    features, _ = model.features(crops)
    points = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed, n_jobs=1).fit_transform(features)
    clusters = HDBSCAN(min_cluster_size=max(5, len(crops) // 30), copy=True).fit_predict(points)
    predicted = (evaluation.p_fake >= evaluation.metrics["threshold"]).astype(int)
    save_embedding_map(path, points, evaluation.labels, predicted, clusters, title)
    return [{"cluster": int(c), "n": int((clusters == c).sum()),
             "fake_share": float(evaluation.labels[clusters == c].mean()),
             "accuracy": float((predicted == evaluation.labels)[clusters == c].mean())}
            for c in sorted(set(clusters.tolist()))]
