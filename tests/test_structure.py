"""Structure rules the layers contract cannot state: commands call services, and services own the sessions."""

from __future__ import annotations

import ast
from pathlib import Path

COMMANDS = Path(__file__).resolve().parents[1] / "bot" / "commands"


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("sqlmodel", "sqlalchemy"):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [a.name for a in node.names]
            if "session_scope" in names or any(n.split(".")[0] in ("sqlmodel", "sqlalchemy") for n in names
                                               if isinstance(node, ast.Import)):
                found.append(f"{path.name}:{node.lineno} imports a session or the ORM")
        elif isinstance(node, ast.Attribute) and node.attr in ("session_scope", "record_now"):
            found.append(f"{path.name}:{node.lineno} uses {node.attr}")
    return found


def test_commands_never_open_a_database_session():
    offences = [o for p in sorted(COMMANDS.glob("*.py")) for o in _offences(p)]
    assert offences == [], "commands call services; services own the sessions"


def test_the_rule_sees_a_session(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from bot.store import session_scope\nfrom sqlmodel import select\nimport bot.store\n"
                   "bot.store.audit.record_now(1)\n")
    assert len(_offences(bad)) == 3
