from facetrust.cli import app

app(prog_name="facetrust")
