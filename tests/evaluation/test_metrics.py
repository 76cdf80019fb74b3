import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from facetrust.evaluation import binary_metrics, choose_threshold, fit_temperature
from facetrust.evaluation.calibration import temperature_at_bound


@pytest.fixture
def scored():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    p_fake = np.clip(labels * 0.35 + rng.normal(0.35, 0.2, 400), 0, 1)
    return labels, p_fake


def test_metrics_agree_with_scikit_learn(scored):
    labels, p_fake = scored
    m = binary_metrics(labels, p_fake, threshold=0.5)
    predicted = p_fake >= 0.5
    assert m["accuracy"] == pytest.approx(accuracy_score(labels, predicted))
    assert m["precision"] == pytest.approx(precision_score(labels, predicted))
    assert m["recall"] == pytest.approx(recall_score(labels, predicted))
    assert m["f1"] == pytest.approx(f1_score(labels, predicted))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(labels, p_fake))
    (tn, fp), (fn, tp) = m["confusion"]
    assert tn + fp == m["n_real"] == (labels == 0).sum() and fn + tp == m["n_fake"]
    assert 0.1 < m["eer"] < 0.4 and 0 <= m["ece"] < 0.3


def test_perfect_and_inverted_scores():
    labels = np.array([0, 0, 1, 1])
    assert binary_metrics(labels, np.array([0.1, 0.2, 0.8, 0.9]))["eer"] == 0.0
    inverted = binary_metrics(labels, np.array([0.9, 0.8, 0.2, 0.1]))
    assert inverted["roc_auc"] == 0.0 and inverted["eer"] == 1.0 and inverted["accuracy"] == 0.0


def test_one_class_sets_report_fpr_or_recall():
    only_real = binary_metrics(np.zeros(4, int), np.array([0.1, 0.7, 0.2, 0.9]))
    assert only_real["fpr"] == 0.5 and only_real["roc_auc"] is None and only_real["recall"] is None
    only_fake = binary_metrics(np.ones(4, int), np.array([0.1, 0.7, 0.2, 0.9]))
    assert only_fake["recall"] == 0.5 and only_fake["fpr"] is None


def test_threshold_choice_on_validation(scored):
    labels, p_fake = scored
    best = choose_threshold(labels, p_fake)
    grid = np.linspace(0, 1, 201)
    balanced = [binary_metrics(labels, p_fake, t)["balanced_accuracy"] for t in grid]
    assert binary_metrics(labels, p_fake, best)["balanced_accuracy"] >= max(balanced) - 1e-9
    strict = choose_threshold(labels, p_fake, target_recall=0.95)
    assert binary_metrics(labels, p_fake, strict)["recall"] >= 0.95


def test_threshold_sits_in_the_middle_of_the_gap():
    """Any cut between 0.6 and 0.8 separates these perfectly; the chosen one is midway (in logit space),
    not on the lowest fake's score, so a new fake scored 0.79 is still caught."""
    labels = np.array([0, 0, 0, 1, 1, 1])
    p_fake = np.array([0.1, 0.3, 0.6, 0.8, 0.9, 0.95])
    chosen = choose_threshold(labels, p_fake)
    assert 0.6 < chosen < 0.8
    assert abs(np.log(chosen / (1 - chosen)) - (np.log(0.6 / 0.4) + np.log(0.8 / 0.2)) / 2) < 1e-9
    assert binary_metrics(labels, p_fake, chosen)["accuracy"] == 1.0


def test_temperature_fixes_overconfidence():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 2000)
    true_logits = (labels * 2 - 1) * 1.0 + rng.normal(0, 1.5, 2000)
    overconfident = true_logits * 4
    t = fit_temperature(overconfident, labels)
    assert 3 < t < 5
    before = binary_metrics(labels, 1 / (1 + np.exp(-overconfident)))["ece"]
    after = binary_metrics(labels, 1 / (1 + np.exp(-overconfident / t)))["ece"]
    assert after < before / 2


def test_temperature_stays_finite_when_scores_point_the_wrong_way():
    labels = np.array([0, 0, 1, 1])
    t = fit_temperature(np.array([3.0, 2.0, -2.0, -3.0]), labels)
    assert np.isfinite(t) and t == pytest.approx(100, rel=0.01)
    assert binary_metrics(labels, 1 / (1 + np.exp(-np.array([3.0, 2.0, -2.0, -3.0]) / t)))["ece"] < 0.05
    assert temperature_at_bound(t)  # and is flagged as no calibration at all
    assert temperature_at_bound(fit_temperature(np.array([3.0, 2.0, -2.0, -3.0]), 1 - labels))  # separable: 0.05
    assert not temperature_at_bound(1.2) and not temperature_at_bound(60.0)


def test_threshold_bounded_by_false_positive_rate_calls_at_most_that_share_of_reals_fake():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 200 + [1] * 200)
    p_fake = np.concatenate([rng.beta(2, 5, 200), rng.beta(5, 2, 200)])
    threshold = choose_threshold(labels, p_fake, max_fpr=0.04)
    fpr = (p_fake[labels == 0] >= threshold).mean()
    assert fpr <= 0.04
    looser = choose_threshold(labels, p_fake, max_fpr=0.2)
    assert looser < threshold  # a looser bound catches more fakes


def test_tpr_at_5_percent_fpr_is_the_recall_at_the_strictest_point_with_at_most_5_percent_false_alarms():
    labels = np.array([0] * 20 + [1] * 10)
    # one real (5% of 20) scores above every fake but one; the other reals score lowest
    p_fake = np.array([0.95] + [0.1] * 19 + [0.99] + [0.9] * 8 + [0.05])
    assert binary_metrics(labels, p_fake)["tpr_at_5_fpr"] == pytest.approx(0.9)  # 9 of 10 fakes above 0.1
    assert binary_metrics(labels[:20], p_fake[:20])["tpr_at_5_fpr"] is None


def test_a_false_positive_bound_no_threshold_can_keep_is_refused_by_name():
    labels, p_fake = np.array([0, 1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.7, 0.1])  # the top face is real: 1/3
    with pytest.raises(ValueError, match=r"within 0\.1: even at the highest validation score, 0\.333 of the 3 real"):
        choose_threshold(labels, p_fake, max_fpr=0.1)
    assert choose_threshold(labels, p_fake, max_fpr=0.34) < 0.9
