"""Issue 24 point 3's nested judge applied to every aggregation of a `facetrust video train` run.

Usage: python scripts/video_heads_judge.py runs/video-r/report.json
For each aggregation in the report (the frame aggregates and every cross-validated temporal head, each clip's score
out of fold), the judge of `facetrust.video.frame_judge` is fitted for each identity-disjoint fold on the other
folds' clips (centre, bounded temperature, the widest band leaving 70% of them decided) and applied to the held-out
fold; prints the clip ROC-AUC, the ROC-AUC against the real clips of the people in the fakes alone (`same_people`),
the decided and right shares and whether any temperature ran to its bound (docs/VIDEO.md, "Temporal heads on the
routed detector's features").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from ffpp_video_judge import DECIDED, auc

from facetrust.evaluation.calibration import fit_temperature, temperature_at_bound
from facetrust.video.frame_judge import centred_logits, judge_out_of_fold
from facetrust.video.report import RANKING_ONLY


def main() -> None:
    report = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    videos = report["videos"]
    labels = np.array([v["label"] for v in videos])
    folds = np.array([report["fold_of"][v["video"]] for v in videos])
    print(f"{len(videos)} clips ({labels.sum()} fake), {len(set(folds))} identity-disjoint folds")
    print("| aggregation | clip ROC-AUC | same people | decided | right of decided | temperatures |\n"
          "|---|---:|---:|---:|---:|---|")
    for name in report["aggregations"]:
        if name in RANKING_ONLY:
            continue
        scores = np.array([v[name] for v in videos])
        nested = judge_out_of_fold(scores, labels, folds, DECIDED)
        decided, right = nested.decided, nested.right(labels)
        overall = fit_temperature(centred_logits(scores, 0.5), labels)  # the all-clips fit a bundled model would get
        temperatures = [j.temperature for j in nested.judges] + [overall]
        bound = any(temperature_at_bound(t) for t in temperatures)
        same_people = report["aggregations"][name]["same_people"]["video_auc"]
        print(f"| {name} | {auc(labels, scores):.3f} | {same_people:.3f} | "
              f"{decided.mean():.1%} | {right[decided].mean():.1%} | "
              f"{', '.join(f'{t:.2f}' for t in temperatures)}{' (AT A BOUND)' if bound else ''} |")


if __name__ == "__main__":
    main()
