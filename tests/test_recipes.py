"""Every recipe in configs/ still reads: a renamed setting or architecture fails here, not an hour into a run."""

from pathlib import Path

import pytest

from facetrust.training import read_config

RECIPES = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_the_recipes_are_found():
    assert len(RECIPES) >= 20 and any(p.name == "detector-general.yaml" for p in RECIPES)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipe_reads(recipe):
    config = read_config(recipe)
    assert config.out and config.epochs > 0
