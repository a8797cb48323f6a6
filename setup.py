"""Build hook: the wheel carries what chartgen ships beside its code (the repository's policies/,
pipelines/ and scripts/toolchain.sh) under chartgen/_shipped/, where chartgen.shipped finds
them. Everything else is declared in pyproject.toml."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CHECKOUT = runpy.run_path("chartgen/shipped.py")["CHECKOUT"]  # the one table of what is shipped


class BuildPyWithShipped(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's files
            return
        for name, source in CHECKOUT.items():
            target = Path(self.build_lib) / "chartgen" / "_shipped" / name
            if Path(source).is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildPyWithShipped})
