"""The package layers of docs/ARCHITECTURE.md hold in the code: every import (function-level ones too) of one
top-level package by another points to the same layer or below, and no packages import each other in a circle."""

import ast
import graphlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "facetrust"


def documented_layers() -> dict[str, int]:
    """Top-level package or module name -> layer, from the Layers table of docs/ARCHITECTURE.md."""
    text = (REPO / "docs/ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for number, names in re.findall(r"^\| (\d+) \| ([^|]+) \|", section, flags=re.MULTILINE):
        for name in re.findall(r"`(\w+)`", names):
            layers[name] = int(number)
    return layers


def top_level_of(path: Path, package: Path = PACKAGE) -> str:
    return path.relative_to(package).parts[0].removesuffix(".py")


def imports_between_packages(package: Path = PACKAGE) -> dict[tuple[str, str], set[str]]:
    """(importer, imported) top-level names -> the files holding such an import."""
    edges: dict[tuple[str, str], set[str]] = {}
    for path in package.rglob("*.py"):
        importer = top_level_of(path, package)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "facetrust" and len(parts) > 1 and parts[1] != importer:
                    imported = parts[1]
                    if (package / imported).is_dir() or (package / f"{imported}.py").exists():
                        edges.setdefault((importer, imported), set()).add(str(path.relative_to(package)))
    return edges


def test_every_top_level_package_has_a_documented_layer():
    present = {top_level_of(p) for p in PACKAGE.glob("*") if p.suffix == ".py" or any(p.glob("*.py"))}
    present -= {"__init__", "__main__"}
    layers = documented_layers()
    assert present - set(layers) == set(), "add these to the Layers table of docs/ARCHITECTURE.md"
    assert set(layers) - present == set(), "the Layers table names packages that do not exist"


def test_imports_point_to_the_same_layer_or_below():
    layers = documented_layers()
    upward = {f"{a} (layer {layers[a]}) imports {b} (layer {layers[b]}) in {sorted(files)}"
              for (a, b), files in imports_between_packages().items()
              if a in layers and b in layers and layers[b] > layers[a]}
    assert upward == set()


def check_no_cycle(package: Path) -> None:
    graph: dict[str, set[str]] = {}
    for importer, imported in imports_between_packages(package):
        graph.setdefault(importer, set()).add(imported)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_no_import_cycle_between_top_level_packages():
    check_no_cycle(PACKAGE)


def test_a_cycle_closed_by_a_function_level_import_is_caught(tmp_path):
    package = tmp_path / "facetrust"
    (package / "low").mkdir(parents=True)
    (package / "low" / "__init__.py").write_text("def later():\n    from facetrust.high import thing\n")
    (package / "high.py").write_text("import facetrust.low.part\n")
    assert set(imports_between_packages(package)) == {("low", "high"), ("high", "low")}
    with pytest.raises(graphlib.CycleError):
        check_no_cycle(package)
