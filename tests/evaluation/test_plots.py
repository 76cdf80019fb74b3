"""Confusion pictures stay readable when the model's name is long (an ensemble joins its members' names)."""

import matplotlib.pyplot as plt
import numpy as np

from facetrust.evaluation import plots


def test_long_panel_titles_are_wrapped_to_the_panel_width():
    name = "ensemble-fer-mini-xception+facetrust-emotion-mobilenet-v2-96+facetrust-emotion-effnet-lite0-96"
    figure, axes = plt.subplots()
    plots._draw_confusion(axes, np.eye(3, dtype=int), ["a", "b", "c"], f"{name}\nprivate_test: accuracy 1.000")
    lines = axes.get_title().split("\n")
    plt.close(figure)
    assert len(lines) > 2 and all(len(line) <= plots.TITLE_WIDTH for line in lines)
    assert lines[-1] == "private_test: accuracy 1.000"
