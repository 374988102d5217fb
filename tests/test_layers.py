"""The layers (docs/architecture.md, issue 11): every app imports only the apps below it, and no import hides
inside a function to dodge a cycle. The order lives here and in docs/architecture.md, nowhere else."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first. `config.forms` (cleaning free text at the edge) sits below them all and imports none of them.
LAYERS = ["audit", "access", "orgs", "members", "transfers", "recruitment", "reports", "demo"]
PROJECT = set(LAYERS) | {"config"}
# config modules every app may import: they import no app themselves (test below).
BELOW_ALL = {"config.forms", "config.arrays", "config.tasks", "config.paging"}


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _imports(path: Path):
    """(module imported, line, inside a function?) for every import of the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = list(path.relative_to(ROOT).with_suffix("").parts)[:-1]  # a module's package, or __init__'s own
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(inner) for f in functions for inner in ast.walk(f) if isinstance(inner, ast.Import | ast.ImportFrom)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                names = [".".join(base + ([node.module] if node.module else []))]
            else:
                names = [node.module]
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in nested


def _in_ready(path: Path, line: int) -> bool:
    """AppConfig.ready() is where Django wants an app's start-up imports (its models are loaded by then)."""
    if path.name != "apps.py":
        return False
    tree = ast.parse(path.read_text())
    return any(isinstance(f, ast.FunctionDef) and f.name == "ready" and f.lineno <= line <= f.end_lineno
               for f in ast.walk(tree))


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    below = set(LAYERS[:LAYERS.index(app)])
    wrong = []
    for path in _sources(app):
        for name, line, _nested in _imports(path):
            top = name.split(".")[0]
            if top in PROJECT and top != app and top not in below and name not in BELOW_ALL:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("app", LAYERS)
def test_no_project_import_hides_inside_a_function(app):
    hidden = [f"{path.relative_to(ROOT)}:{line} imports {name}"
              for path in _sources(app) for name, line, nested in _imports(path)
              if nested and name.split(".")[0] in PROJECT and not _in_ready(path, line)]
    assert hidden == []


@pytest.mark.parametrize("module", sorted(BELOW_ALL))
def test_config_forms_imports_no_app(module):
    names = {name.split(".")[0] for name, _line, _nested in _imports(ROOT / "config" / f"{module.split('.')[1]}.py")}
    assert not names & PROJECT


@pytest.mark.parametrize("module", ["sessions.py", "views.py"])
def test_the_project_s_own_modules_import_no_app(module):
    # config/sessions.py and config/views.py (R-ACC-5, the CSP reports) use each other and Django only.
    names = {name.split(".")[0] for name, _line, _nested in _imports(ROOT / "config" / module)}
    assert not names & set(LAYERS)


def test_every_app_is_in_the_order():
    installed = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert installed == set(LAYERS)
