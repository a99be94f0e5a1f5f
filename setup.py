"""Only a build step; the project is described in pyproject.toml.

The migrations and policies live in top-level folders of the repository. A wheel must carry
them, so ``build_py`` copies them into the package as ``bot/_bundled/{migrations,policies}``,
where :mod:`bot.bundled` finds them with importlib.resources.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = {"migrations": ("*.py", "*.mako", "*.md"), "policies": ("*.yaml",)}


class BuildPyWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the folders in place
            return
        for folder, patterns in BUNDLED.items():
            source = ROOT / folder
            target = Path(self.build_lib) / "bot" / "_bundled" / folder
            for pattern in patterns:
                for path in source.rglob(pattern):
                    if "__pycache__" in path.parts:
                        continue
                    destination = target / path.relative_to(source)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, destination)


setup(cmdclass={"build_py": BuildPyWithBundledFiles})
