"""Print the project's import graph and every model write outside the services, or check the rules.

    python scripts/layers.py            # the graph (package -> packages it imports) and the writes
    python scripts/layers.py --check    # exit 1 if geodata imports events or a write is outside services

The rules (ARCHITECTURE.md): geodata never imports events; only services (and migrations, tests)
call save/create/get_or_create/bulk_create/update_or_create on the project's models.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("conflictmap", "events", "geodata")
WRITES = {"save", "create", "get_or_create", "bulk_create", "update_or_create"}
# Writes of models that are not the project's (knox's hashed API token), and calls that are no model
# write at all (a timelapse's Pillow image written to a buffer).
ALLOWED_WRITES = {("events/api/tokens.py", "AuthToken.objects.create"), ("geodata/frames.py", "images[0].save")}


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts)


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def writes(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(ROOT).as_posix()
    if "/services/" in f"/{rel}":
        return []
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            text = ast.unparse(node.func)
            if (rel, text) not in ALLOWED_WRITES:
                out.append((node.lineno, text))
    return out


def main(argv: list[str]) -> int:
    graph: dict[str, set[str]] = defaultdict(set)
    found_writes = []
    for path in modules():
        package = path.relative_to(ROOT).parts[0]
        graph[package] |= imports(path) - {package}
        found_writes += [(path.relative_to(ROOT).as_posix(), line, text) for line, text in writes(path)]
    problems = []
    if "events" in graph["geodata"]:
        problems.append("geodata imports events")
    problems += [f"{path}:{line}: {text}() outside services" for path, line, text in found_writes]
    if "--check" not in argv:
        for package in PACKAGES:
            print(f"{package} -> {', '.join(sorted(graph[package])) or '(nothing of the project)'}")
        print(f"model writes outside services: {len(found_writes)}")
    for problem in problems:
        print(problem)
    return 1 if problems and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
