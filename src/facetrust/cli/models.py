"""`facetrust models`, `export`, `embed`: architectures, ONNX export, face encodings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from facetrust.bundled import default_model_path
from facetrust.cli.support import errors_exit_2, fail


def models() -> None:
    """List registered architectures and the bundled detector."""
    from facetrust.models import list_models, model_entry
    from facetrust.models.checkpoint import load_model

    for name in list_models():
        typer.echo(f"{name:24s} {model_entry(name).description}")
    typer.echo("(any timm architecture name also works, with --weights FILE)")
    bundled = default_model_path()
    if (bundled / "model.json").exists():
        card = load_model(bundled).card
        typer.echo(f"bundled detector: {card.name} {card.version} at {bundled}")


def export(
    out: Annotated[Path, typer.Option(help="Where to write the exported model, e.g. model.onnx.")],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the bundled detector).")] = None,
    export_format: Annotated[str, typer.Option("--format", help="Export format (onnx).")] = "onnx",
    images: Annotated[Path, typer.Option(help="Real images whose faces check the export against PyTorch.")] = Path(
        "examples"),
    tolerance: Annotated[float | None, typer.Option(help="Largest accepted |P(fake) difference| (default: the "
                                                    "tolerance every ONNX export is checked with).")] = None,
) -> None:
    """Export a model for onnxruntime and check it against PyTorch on real faces. Exit 1 if they differ."""
    import numpy as np

    from facetrust.faces.stage import FacesResult, find_faces_or_error
    from facetrust.media.files import expand_inputs
    from facetrust.models.checkpoint import load_model
    from facetrust.models.onnx_backend import PARITY_TOLERANCE, export_onnx
    from facetrust.models.onnx_runner import OnnxRunner

    if export_format != "onnx":
        raise typer.BadParameter(f"{export_format!r} is not a supported format (onnx)", param_hint="--format")
    with errors_exit_2():
        loaded = load_model(model or default_model_path(), backend="torch")
        finder = loaded.face_finder(all_faces=True)
        found = [find_faces_or_error(path, finder, frames=4) for path in expand_inputs([images])]
        crops = [face.crop for result in found if isinstance(result, FacesResult)
                 for frame in result.frames for face in frame.faces]
        if not crops:
            fail(f"{images}: no faces to check the export with")
        preprocess = loaded.preprocess
        export_onnx(loaded.module, preprocess.channels, preprocess.size, out, loaded.needs_encodings)
    tolerance = PARITY_TOLERANCE if tolerance is None else tolerance
    exported = replace(loaded, runner=OnnxRunner(out))
    difference = float(np.abs(loaded.p_fake(crops) - exported.p_fake(crops)).max())
    typer.echo(f"wrote {out}; max |P(fake) difference| vs PyTorch on {len(crops)} faces from {images}: "
               f"{difference:.2e} (tolerance {tolerance:.0e})")
    if difference > tolerance:
        out.unlink()
        typer.echo("error: the export does not match PyTorch; removed it", err=True)
        raise typer.Exit(1)


def embed(
    data: Annotated[Path, typer.Option(help="Labelled data (any layout `train` accepts).")],
    out: Annotated[Path, typer.Option(help="Write the encodings here (.npz).")],
) -> None:
    """dlib 128-d face encodings of every image (cached per file content, so later runs reuse them)."""
    import numpy as np

    from facetrust.data.datasets import assign_splits, discover
    from facetrust.embeddings import encode_samples

    with errors_exit_2():
        samples = assign_splits(discover(data))
        found = encode_samples(samples)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out, encodings=found.encodings, label=found.labels, split=np.array([s.split for s in found.samples]),
        path=np.array([str(s.path) for s in found.samples]),
        missing_path=np.array([str(s.path) for s, _ in found.missing]),
        missing_reason=np.array([reason for _, reason in found.missing]))
    typer.echo(f"{len(found.samples)} images encoded, {len(found.missing)} without an encoding "
               f"(listed in {out} as missing_path / missing_reason)")
    for sample, reason in found.missing[:10]:
        typer.echo(f"  {sample.path}: {reason}")
