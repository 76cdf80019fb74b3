"""Command line: one module per command group, each a thin layer over the Python API.

Commands are registered here, in the order `facetrust --help` lists them. The command modules import only
typer and light constants at the top; each command imports what it runs when it runs, so `--help` is fast.
"""

import typer

from facetrust.cli import evaluate, faces, models, scan, serve, studies, train
from facetrust.cli.emotion import emotion_app
from facetrust.cli.video import video_app

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="facetrust: is this face real? Detect AI-generated and manipulated faces.")
plot_app = typer.Typer(no_args_is_help=True, help="Pictures of data and models.")

app.command()(faces.faces)
app.command()(faces.crop)
app.command()(scan.scan)
app.command()(scan.explain)
app.command()(evaluate.report)
app.command("map")(evaluate.map_command)
app.command()(serve.serve)
app.command()(evaluate.evaluate)
app.command(name="train")(train.train_command)
app.command()(models.models)
app.command()(models.export)
app.command()(models.embed)
app.command()(studies.compare)
app.command()(studies.crossval)
app.command()(studies.shortcuts)
app.command(cls=studies.RawArgsCommand)(studies.tune)
app.add_typer(emotion_app, name="emotion")
app.add_typer(video_app, name="video")
app.add_typer(plot_app, name="plot")
plot_app.command("encoding-norms")(evaluate.plot_encoding_norms)
plot_app.command("confusions")(evaluate.plot_confusions)
app.command()(faces.detectors)
