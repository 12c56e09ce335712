"""The build hook of tessera-dbt (everything else is in pyproject.toml).

A wheel carries the dbt package (dbt_project.yml, macros/, models/) and the demo project
(integration_tests/) inside `tessera_dbt/dbt_package/`, so `pip install tessera-dbt` then
`tessera demo` works from any directory. An editable install reads them from the
repository instead (`tessera_dbt.cli.demo.dbt_package_root`).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("dbt_project.yml", "macros", "models", "integration_tests")
LEFT_OUT = shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb", "*.duckdb.wal",
                                  "package-lock.yml", "__pycache__")


class BuildWithDbtPackage(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "tessera_dbt" / "dbt_package"
        shutil.rmtree(target, ignore_errors=True)
        for name in BUNDLED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=LEFT_OUT)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithDbtPackage})
