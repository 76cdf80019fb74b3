"""The report page: one static HTML file with its pictures beside it in img/ (opens from disk, no server)."""

from __future__ import annotations

from jinja2 import Environment, select_autoescape

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>facetrust report: {{ r.model.name }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.small { color: #999; } img { max-width: 100%; } .row { display: flex; flex-wrap: wrap; gap: .6rem; }
figure { margin: 0; text-align: center; font-size: 12px; } h2 { border-bottom: 1px solid #ddd; margin-top: 2rem; }
</style></head><body>
<h1>facetrust evidence report</h1>
<p>Model <b>{{ r.model.name }}</b> (version {{ r.model.version }}, {{ r.model.architecture }}), decision threshold
{{ "%.3f"|format(r.model.threshold) }} (chosen on its validation data), temperature
{{ "%.3f"|format(r.model.temperature) }}. Report made {{ r.date }} by facetrust {{ r.code_version }}; robustness,
groups, galleries and maps are on <b>{{ r.primary }}</b>. Fake is the positive class.</p>

<h2>Datasets side by side</h2>
<table><tr><th>data</th><th>real</th><th>fake</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th>
<th>ROC-AUC</th><th>AP</th><th>EER</th><th>ECE</th><th>FPR</th><th>skipped</th></tr>
{% for name, m in r.datasets.items() %}<tr><td>{{ name }}</td><td class="num">{{ m.n_real }}</td>
<td class="num">{{ m.n_fake }}</td>{% for k in ["accuracy", "precision", "recall", "f1", "roc_auc", "ap", "eer", "ece",
"fpr"] %}<td class="num">{{ fmt(m[k]) }}</td>{% endfor %}<td class="num">{{ m.skipped }}</td></tr>{% endfor %}
</table>
<div class="row"><img src="img/roc.png" alt="ROC curves per dataset" width="440">
<img src="img/pr.png" alt="precision-recall curves per dataset" width="440"></div>

<h2>Calibration</h2>
<p>Expected calibration error on {{ r.primary }}: {{ fmt(r.calibration.ece_before) }} from the raw logit,
{{ fmt(r.calibration.ece_after) }} with the model's temperature {{ "%.3f"|format(r.calibration.temperature) }}.</p>
<img src="img/calibration.png" alt="reliability diagram" width="440">

<h2>Robustness</h2>
<p>The same images, degraded (seed {{ r.config.seed }}), found, cropped and scored again. Left point of each panel:
clean.</p>
<img src="img/robustness.png" alt="metrics against degradation strength">
<table><tr><th>degradation</th><th>strength</th><th>ROC-AUC</th><th>accuracy</th><th>recall</th><th>FPR</th>
<th>skipped</th></tr>
{% for name, block in r.robustness.items() %}{% for p in block.points %}<tr><td>{{ name }}</td>
<td class="num">{{ p.strength }} ({{ block.unit }})</td><td class="num">{{ fmt(p.metrics.roc_auc) }}</td>
<td class="num">{{ fmt(p.metrics.accuracy) }}</td><td class="num">{{ fmt(p.metrics.recall) }}</td>
<td class="num">{{ fmt(p.metrics.fpr) }}</td><td class="num">{{ p.metrics.skipped }}</td></tr>{% endfor %}{% endfor %}
</table>

<h2>Per-group slices</h2>
<p>Groups with fewer than 30 faces, or fewer than 5 of either class, are greyed out: too small to judge.</p>
{% for attribute, groups in r.groups.items() %}<h3>{{ attribute }}</h3>
<table><tr><th>group</th><th>n</th><th>real</th><th>fake</th><th>accuracy</th><th>FPR</th><th>FNR</th><th>ROC-AUC</th></tr>
{% for group, g in groups.items() %}<tr{% if g.too_small %} class="small"{% endif %}><td>{{ group }}
{% if g.too_small %}(too small){% endif %}</td><td class="num">{{ g.n }}</td><td class="num">{{ g.n_real }}</td>
<td class="num">{{ g.n_fake }}</td><td class="num">{{ fmt(g.accuracy) }}</td><td class="num">{{ fmt(g.fpr) }}</td>
<td class="num">{{ fmt(g.fnr) }}</td><td class="num">{{ fmt(g.roc_auc) }}</td></tr>{% endfor %}</table>{% endfor %}

<h2>Provenance declared by the files</h2>
<p>What the evaluated files of {{ r.primary }} say about their origin (Content Credentials, XMP digital source type,
generator metadata): evidence beside the pixels. Most files carry none; re-encoded data sets usually lose it.</p>
<table><tr><th>class</th>{% for f in ["declared_ai", "declared_edited", "camera_signed", "none", "unreadable"] %}
<th>{{ f.replace("_", " ") }}</th>{% endfor %}</tr>
{% for label, counts in r.provenance.items() %}<tr><td>{{ label }}</td>{% for f in ["declared_ai", "declared_edited",
"camera_signed", "none", "unreadable"] %}<td class="num">{{ counts.get(f, 0) }}</td>{% endfor %}</tr>{% endfor %}
</table>

<h2>Worst errors</h2>
{% for kind, title in [("false_positives", "Real faces called fake (highest P(fake) first)"),
                       ("false_negatives", "Fakes called real (lowest P(fake) first)")] %}<h3>{{ title }}</h3>
{% if r.gallery[kind] %}<div class="row">{% for item in r.gallery[kind] %}<figure><img src="{{ item.image }}"
alt="{{ item.path }}" width="140"><figcaption>P(fake) {{ "%.3f"|format(item.p_fake) }}<br>{{ item.path.split("/")[-1] }}
</figcaption></figure>{% endfor %}</div>{% else %}<p>None.</p>{% endif %}{% endfor %}

<h2>Where the model looks (Grad-CAM)</h2>
<p>Bright: regions whose features raised P(fake), normalised per face.</p>
<div class="row">{% for item in r.explained %}<figure><img src="{{ item.image }}" alt="{{ item.path }}" width="180">
<figcaption>{{ item.label }}, P(fake) {{ "%.3f"|format(item.p_fake) }}</figcaption></figure>{% endfor %}</div>

{% if r.embedding_map %}<h2>Embedding map</h2>
<p>Penultimate-layer features reduced to 2-D with UMAP and clustered with HDBSCAN.</p>
<img src="{{ r.embedding_map.image }}" alt="embedding map">
<table><tr><th>cluster</th><th>faces</th><th>share fake</th><th>accuracy</th></tr>
{% for c in r.embedding_map.clusters %}<tr><td>{{ "noise" if c.cluster < 0 else c.cluster }}</td>
<td class="num">{{ c.n }}</td><td class="num">{{ fmt(c.fake_share) }}</td><td class="num">{{ fmt(c.accuracy) }}</td>
</tr>{% endfor %}</table>{% endif %}
<p class="small">All numbers: report.json beside this page.</p>
</body></html>
"""


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render_html(report: dict) -> str:
    environment = Environment(autoescape=select_autoescape(default=True))
    return environment.from_string(TEMPLATE).render(r=report, fmt=_fmt)
