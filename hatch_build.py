"""Build hook: `pip install -e .` provides `import wegwijzer` from the source folder engine/.

The wheel renames engine/ to wegwijzer/ (`sources` in pyproject.toml). Hatchling cannot make
that rename in an editable install (https://github.com/pfmoore/editables/issues/20), so for
editable builds only this hook adds a small import finder that loads `wegwijzer` from
engine/. Regular wheels are untouched.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

FINDER = '''"""Editable install of wegwijzer: `import wegwijzer` loads {source}."""
import importlib.util
import sys

_SOURCE = {source!r}


class WegwijzerEditableFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "wegwijzer":
            return None
        return importlib.util.spec_from_file_location(
            name, _SOURCE + "/__init__.py", submodule_search_locations=[_SOURCE])

    @classmethod
    def invalidate_caches(cls):
        pass


if not any(getattr(f, "__name__", "") == "WegwijzerEditableFinder" for f in sys.meta_path):
    sys.meta_path.append(WegwijzerEditableFinder)
'''


class EditableRename(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "editable":
            return
        folder = tempfile.mkdtemp(prefix="wegwijzer-editable-")
        finder = os.path.join(folder, "_wegwijzer_editable.py")
        with open(finder, "w", encoding="utf-8") as stream:
            stream.write(FINDER.format(source=os.path.join(self.root, "engine")))
        pth = os.path.join(folder, "_wegwijzer_editable.pth")
        with open(pth, "w", encoding="utf-8") as stream:
            stream.write("import _wegwijzer_editable\n")
        # replaces the wheel's force-include (the rules): an editable install reads rules/ in place
        build_data["force_include_editable"][finder] = "_wegwijzer_editable.py"
        build_data["force_include_editable"][pth] = "_wegwijzer_editable.pth"
