"""Datasets: folder layouts, labels and splits, and building face-crop datasets."""
