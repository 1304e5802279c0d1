"""No hand-placed invalidation: writes that send no signal say what changed, and only the core expires pages."""

from __future__ import annotations

import ast
from pathlib import Path

from project import publiccache

ROOT = Path(__file__).resolve().parents[2]
APPS = ("activities", "awards", "families")
SILENT_WRITES = {"update", "bulk_create", "bulk_update"}  # QuerySet writes that send no post_save
# Silent writes of fields no public page shows, each with its reason.
NOT_SHOWN = {
    ("send_voting_open_notices", "AwardRound"): "when the voting notices went out is on no public page",
    ("_count_signups", "Activity"): "the sign-up saved in the same transaction refreshes the same pages",
}


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).glob("*.py")):
            if path.name not in ("demo.py",):  # demo data is seeded before anyone browses the site
                yield path, ast.parse(path.read_text())


def _root_name(node) -> str:
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return getattr(node, "id", "")


def test_every_write_that_sends_no_signal_to_a_watched_model_says_what_changed():
    """``Model.objects.filter(...).update()`` on a watched model is followed, in the same function, by
    ``publiccache.changed(Model)``: otherwise the pages that show it would keep the old rows."""
    watched = {model.__name__ for model in publiccache.watched()}
    missing = []
    for path, tree in _modules():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
            told = {
                node.args[0].id
                for node in calls
                if isinstance(node.func, ast.Attribute)
                and node.func.attr == "changed"
                and node.args
                and isinstance(node.args[0], ast.Name)
            }
            for node in calls:
                if isinstance(node.func, ast.Attribute) and node.func.attr in SILENT_WRITES:
                    model = _root_name(node.func.value)
                    if model in watched and model not in told and (function.name, model) not in NOT_SHOWN:
                        missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {model}.{node.func.attr}")
    assert missing == [], "\n".join(missing)


def test_only_the_core_expires_pages():
    """Apps declare families, watch models and, for silent writes, call ``changed``: nothing else."""
    allowed = {
        "family",
        "watch",
        "changed",
        "cache_public_page",
        "cached_fragment",
        "personal_fragment",
        "HOME",
        "NAMES",
    }
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "project.publiccache":
                found += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names if a.name not in allowed]
            if isinstance(node, ast.Attribute) and _root_name(node) == "publiccache" and node.attr not in allowed:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} publiccache.{node.attr}")
    assert found == []
    assert "bump_public_version" not in (ROOT / "project" / "publiccache.py").read_text()
