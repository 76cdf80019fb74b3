"""Videos: face tracks, temporal models, video training, evaluation and timelines."""
