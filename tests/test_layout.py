"""The house's boundaries, checked on the source (an import-linter's contracts, as a test):

- the ground floor (`bot/` apart from its composition root) imports no feature;
- a feature imports another feature only through what that feature offers to others;
- domain modules (rules and the store) import no Slack library and no listener or blocks module;
- no import circle inside a package (imports for type checking only are left out).
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ("announcements", "townhalls", "surveys", "helpdesk", "digests", "directory")
# The composition root: it wires every feature, so it may import them.
COMPOSITION_ROOT = {
    "bot.app",
    "bot.background",
    "bot.catalogue",
    "bot.cli",
    "bot.http",
    "bot.listeners",
    "bot.outbox_cli",
    "bot.runtime",
    "bot.socket_mode",
}
# What features stand on besides the ground floor: the directory (people, departments, roles),
# and the announcement rules town halls share with announcements.
OFFERED = ("directory", "announcements.policy")
# Modules that speak to Slack (listeners, Block Kit, Slack readers, jobs that post): the rest of a
# feature is its domain.
SLACK_FACING = ("listeners", "blocks", "views", "jobs", "gateway", "slack_reader", "charts")


def _modules() -> Iterator[tuple[str, Path]]:
    for package in ("bot", *FEATURES):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path, *, at_run_time: bool = False) -> set[str]:
    """What a module imports; `at_run_time`: leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if at_run_time and id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


MODULES = dict(_modules())
IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _feature(name: str) -> str:
    return name.split(".")[0]


def _offered(name: str) -> bool:
    return any(name == offer or name.startswith(offer + ".") for offer in OFFERED)


def test_the_ground_floor_imports_no_feature() -> None:
    wrong = {
        module: sorted(i for i in imported if _feature(i) in FEATURES)
        for module, imported in IMPORTS.items()
        if _feature(module) == "bot" and module not in COMPOSITION_ROOT
    }
    assert {m: i for m, i in wrong.items() if i} == {}


def test_features_use_each_other_only_through_what_they_offer() -> None:
    wrong: dict[str, list[str]] = {}
    for module, imported in IMPORTS.items():
        own = _feature(module)
        if own not in FEATURES:
            continue
        for name in imported:
            other = _feature(name)
            if other in FEATURES and other != own and not _offered(name):
                wrong.setdefault(module, []).append(name)
    assert wrong == {}


def test_domain_modules_import_no_slack_library_and_no_listener_or_blocks() -> None:
    wrong: dict[str, list[str]] = {}
    for module, imported in IMPORTS.items():
        leaf = module.split(".")[-1]
        if _feature(module) not in FEATURES or any(word in leaf for word in SLACK_FACING):
            continue
        for name in imported:
            if name.startswith(("slack_sdk", "slack_bolt")) or any(
                part.endswith(("listeners", "blocks")) for part in name.split(".")[1:]
            ):
                wrong.setdefault(module, []).append(name)
    assert wrong == {}


def test_no_package_imports_itself_round_in_a_circle() -> None:
    graph = {
        module: {
            name
            for name in _imports(MODULES[module], at_run_time=True)
            if name in MODULES and name != module
        }
        for module in MODULES
    }
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if _feature(target) != _feature(module):
                continue
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
