"""The shape of the code, checked rather than promised (issue 21): the import contracts catch
the imports they claim to forbid, no two files import each other (type-only imports
included), and no module of the app grows past what one reader holds in mind."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "api" / "courtside"
MAX_LINES = 450
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
SOURCES = ("api/courtside", "api/infrastructure.py", "infra", "database", "cache", "cdn")


def _copy_sources(target: Path) -> None:
    """The packages the contracts cover, without what is not Python."""
    skip = shutil.ignore_patterns("__pycache__", "static", "templates", "*.html", "*.js")
    for name in SOURCES:
        source, copy = ROOT / name, target / name
        if source.is_dir():
            shutil.copytree(source, copy, ignore=skip)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
    shutil.copy2(ROOT / ".importlinter", target / ".importlinter")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'api'}{os.pathsep}{tree}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("contracts")
    _copy_sources(tree)
    return tree


def test_the_copied_tree_keeps_every_contract(pristine: Path) -> None:
    """The baseline of the cases below: without a slipped import, lint-imports passes."""
    result = _lint_imports(pristine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


LAYERS = "Layers: every top-level"
CDK = "CDK: app > stacks"
PAGES = "Pages run no SQL"
SLIPPED = [
    # (file to add the import to, the import, the contract that must break)
    ("api/courtside/edge.py", "import courtside.routers.health", LAYERS),
    ("api/courtside/app_role.py", "import courtside.web.formatting", LAYERS),
    (
        "api/courtside/observability.py",
        "import courtside.services.audit",
        "Layers: every top-level",
    ),
    ("cdn/infrastructure.py", "import infra.stacks", CDK),
    ("database/infrastructure.py", "import infra.monitoring", CDK),
    ("api/courtside/web/pages.py", "from sqlalchemy import select", PAGES),
    ("api/courtside/web/pages.py", "from courtside.db import get_engine", PAGES),
    ("api/courtside/web/league_pages.py", "from courtside.read_replica import read_public", PAGES),
]


@pytest.mark.parametrize(("path", "line", "contract"), SLIPPED, ids=[s[1] for s in SLIPPED])
def test_a_slipped_import_breaks_its_contract(
    pristine: Path, tmp_path: Path, path: str, line: str, contract: str
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    with (tree / path).open("a") as module:
        module.write(f"\n{line}  # slipped\n")
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(row.startswith(contract) for row in broken), result.stdout
    imported = line.split()[1] if line.startswith("from ") else line.split()[-1]
    assert imported in result.stdout  # the report names the import that broke it


def test_a_module_left_out_of_the_layers_breaks_the_exhaustive_contract(
    pristine: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    (tree / "api/courtside/stray.py").write_text('"""In no layer."""\n')
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "courtside.stray" in result.stdout


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_files_of_the_app_import_each_other() -> None:
    """Type-only (`TYPE_CHECKING`) and function-level imports count: a circle hidden behind
    either is still a circle a reader has to untangle."""
    sys.path.insert(0, str(ROOT / "api"))
    try:
        graph = grimp.build_graph(
            "courtside", include_external_packages=False, exclude_type_checking_imports=False
        )
    finally:
        sys.path.remove(str(ROOT / "api"))
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert _cycles(edges) == []


def test_no_module_of_the_app_is_longer_than_450_lines() -> None:
    lengths = {
        str(path.relative_to(APP)): len(path.read_text().splitlines()) for path in APP.rglob("*.py")
    }
    assert len(lengths) > 100  # the walk found the app
    assert {path: n for path, n in lengths.items() if n > MAX_LINES} == {}


def test_each_model_name_is_declared_once_and_resolves_lazily() -> None:
    """`courtside.models` names each model once (its TYPE_CHECKING block, which type checkers
    read); at run time the same block says which module to import for a name."""
    import importlib

    import courtside.models as models

    homes = models._home()
    assert {"Game", "User", "Bet", "Base", "utcnow", "CacheVersion"} <= set(homes)
    assert set(homes.values()) == {"base", *models.MODULES}
    for name, module in homes.items():
        home = importlib.import_module(f"courtside.models.{module}")
        assert getattr(models, name) is getattr(home, name)
    with pytest.raises(AttributeError):
        _ = models.NoSuchModel


def _says_why(lines: list[str], statement: ast.stmt) -> bool:
    """`# lazy: <reason>` on the import itself, or above it (over the imports of its group)."""
    if "# lazy:" in "\n".join(lines[statement.lineno - 1 : statement.end_lineno]):
        return True
    index = statement.lineno - 2
    while index >= 0:
        text = lines[index].strip()
        if text.startswith("# lazy:"):
            return True
        # the group: its imports, the blank line between stdlib and our own, a comment's lines
        in_group = not text or text.startswith(("import ", "from ", ")", "#")) or text.endswith(",")
        if not in_group:
            return False
        index -= 1
    return False


def test_every_function_level_import_says_why() -> None:
    """An import inside a function costs every reader a question (a circle? the cold start?):
    each says its reason, `# lazy: <reason>`."""
    silent = []
    for path in sorted(APP.rglob("*.py")):
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _says_why(lines, node):
                    silent.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert silent == []
