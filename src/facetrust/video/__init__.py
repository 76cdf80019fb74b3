"""Videos: face tracks, temporal models, video training, evaluation and timelines."""

TEMPORAL_KINDS = ("gru", "lstm", "attention", "mean", "difference")  # the temporal heads (facetrust.video.temporal)
