"""A wheel built from the tree installs into a fresh venv and runs from any folder.

Only an editable install used to work: the wheel carried neither the migrations nor the
policies. Here the wheel is built from a copy of the tree, installed into a new venv (its
dependencies come from the test venv's site-packages, so it works offline and quickly; the
project itself comes only from the wheel), and used from a folder outside the checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.cli.run import clean_env, deputy
from tests.support import postgres

# the wheel is built once per module: its tests stay on one xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache",
                              ".deputy", ".hypothesis", "deputy.toml", "tests", "bench")


def _run(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the `deputy` script of a fresh venv holding the wheel built from this tree."""
    base = tmp_path_factory.mktemp("wheel")
    tree = base / "tree"
    shutil.copytree(ROOT, tree, ignore=SKIP)
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(base / "dist"), str(tree))
    wheel = next((base / "dist").glob("deputy_bot-*.whl"))
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # dependencies only: a path line, so the test venv's own .pth files (the editable
    # install of this tree) are not processed in the new venv
    (Path(site) / "deputy_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--no-index", str(wheel))
    shutil.rmtree(tree)  # nothing may be read from the copy the wheel was built from
    return venv / "bin" / "deputy"


def test_the_installed_package_comes_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    python = installed.with_name("python")
    done = subprocess.run([python, "-c", "import bot, integrations; print(bot.__file__); print(integrations.__file__)"],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=True)
    venv = installed.parent.parent
    for line in done.stdout.splitlines():
        assert Path(line).is_relative_to(venv), line


def test_db_upgrade_seed_and_a_scripted_shell_from_another_folder(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "somewhere-else"
    work.mkdir()

    upgraded = deputy("db", "upgrade", cwd=work, command=str(installed))
    assert upgraded.code == 0, upgraded.err
    assert "database is up to date" in upgraded.out
    assert (work / ".deputy" / "deputy.db").is_file()

    seeded = deputy("demo", "seed", cwd=work, command=str(installed))
    assert seeded.code == 0, seeded.err
    assert seeded.out.startswith("Demo data loaded:")

    shell = deputy("shell", "--user", "Dev", cwd=work, command=str(installed),
                   stdin="chase overdue invoices\napprove\nquit\n")
    assert shell.code == 0, shell.err
    # the default policy shipped in the wheel decided the steps
    assert "Plan 1 v1 for goal #1 — awaiting approval" in shell.out
    assert "[needs approval] needs 1 approval: rule `writes-need-one-approval`" in shell.out
    assert "✓ 1. List overdue invoices — 3 invoices" in shell.out
    assert "✓ 2. Send a payment reminder for each of them — 3 done" in shell.out
    assert "✓ Run 1: Done: Send payment reminders for" in shell.out

    runs = deputy("runs", "list", "--json", cwd=work, command=str(installed))
    assert runs.code == 0, runs.err
    assert [(r["goal"], r["status"]) for r in json.loads(runs.out)] == [
        ("chase overdue invoices", "succeeded")]


def test_example_policies_ship_in_the_wheel(installed: Path, tmp_path: Path) -> None:
    python = installed.with_name("python")
    done = subprocess.run([python, "-c", "from bot.bundled import bundled_folder;"
                           "print(sorted(p.name for p in bundled_folder('policies').glob('*.yaml')))"],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(sorted(p.name for p in (ROOT / "policies").glob("*.yaml")))


def test_db_upgrade_on_postgresql_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    with postgres.throwaway_database(postgres.server_url()) as url:
        done = deputy("db", "upgrade", cwd=tmp_path, command=str(installed),
                      env=clean_env(DEPUTY_DATABASE_URL=url))
        assert done.code == 0, done.err
        assert "database is up to date" in done.out
        again = deputy("db", "upgrade", cwd=tmp_path, command=str(installed),
                       env=clean_env(DEPUTY_DATABASE_URL=url))
        assert again.code == 0, again.err
