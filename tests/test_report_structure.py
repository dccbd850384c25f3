"""report/'s shape, checked from its source: analysis/ draws nothing, import chains stay short (the sizes
of its modules and functions are checked with experiments/'s, in test_layout)."""

from __future__ import annotations

import ast
import functools

from tests.conftest import ROOT

REPORT = ROOT / "report"
#: Done-when limits of issue 18.
MAX_CHAIN = 6


def _modules() -> dict:
    """{dotted name: path} of every module in report/ (a package by its __init__)."""
    out = {}
    for path in sorted(REPORT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path, known: dict) -> set:
    """The report modules ``name`` imports when it runs (imports only for type checkers left out)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    guarded = [node for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)]
    skipped = {id(n) for node in guarded for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                ).strip(".")
            targets = ["%s.%s" % (base, a.name) for a in node.names] + [base]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.add(target)
    # "from report.page import quality" names the module, not the package: the package is left out then.
    return {t for t in found if not any(o.startswith(t + ".") for o in found)}


def import_graph() -> dict:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def longest_chain(graph: dict) -> list:
    @functools.cache
    def longest(name: str, seen: frozenset = frozenset()) -> tuple:
        best: tuple = (name,)
        for target in sorted(graph[name]):
            if target in seen:
                continue
            chain = (name,) + longest(target, seen | {name})
            if len(chain) > len(best):
                best = chain
        return best

    return list(max((longest(n) for n in graph), key=len))


def test_the_longest_import_chain_in_report_is_short():
    chain = longest_chain(import_graph())
    print("longest import chain (%d modules): %s" % (len(chain), " -> ".join(chain)))
    assert len(chain) <= MAX_CHAIN, " -> ".join(chain)


def test_analysis_imports_neither_matplotlib_nor_the_page():
    for path in sorted((REPORT / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for n in names:
                assert not n.startswith(("matplotlib", "report.page")), "%s imports %s" % (path, n)
