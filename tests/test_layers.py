"""The layers in .importlinter hold on the real tree, and each contract breaks when its forbidden import is
added (to a copy of the package, so the real tree is never touched)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path, config: Path) -> subprocess.CompletedProcess:
    # The tree first on the path, so grimp reads the copy, not the installed package; wide lines, unwrapped.
    return subprocess.run(  # noqa: S603 - our own tool and config
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "COLUMNS": "300"},
        capture_output=True, text=True, timeout=120,
    )


def test_the_real_tree_keeps_every_contract():
    result = lint_imports(ROOT / "src", ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for name in ("core imports no app", "Pure cores import no Django", "No app imports the demo",
                 "delivery imports no app that sends through it", "No import cycles inside an app",
                 "Apps stay in their layers"):
        assert name in result.stdout


@pytest.mark.parametrize(
    "module, line, contract, shown",
    [
        ("core/dates.py", "import pledgecard.events.models", "core imports no app",
         "pledgecard.core.dates -> pledgecard.events.models"),
        ("core/models.py", "from pledgecard.insights import selectors", "core imports no app",
         "pledgecard.core.models -> pledgecard.insights.selectors"),
        ("allocation/model.py", "from django.db import models", "Pure cores import no Django",
         "pledgecard.allocation.model -> django"),
        ("networking/pairing.py", "from pledgecard.core import models", "Pure cores import no Django",
         "pledgecard.networking.pairing -> pledgecard.core.models"),
        ("events/models.py", "from pledgecard.demo import first_event", "No app imports the demo",
         "pledgecard.events.models -> pledgecard.demo.first_event"),
        ("delivery/channels.py", "import pledgecard.stories.models", "delivery imports no app that sends through it",
         "pledgecard.delivery.channels -> pledgecard.stories.models"),
        ("pledges/models.py", "from pledgecard.stories import models", "Apps stay in their layers",
         "pledgecard.pledges.models -> pledgecard.stories.models"),
        ("pledges/services.py", "from pledgecard.workshops import services", "Apps stay in their layers",
         "pledgecard.pledges.services -> pledgecard.workshops.services"),
        ("stories/models.py", "from pledgecard.stories import services", "No import cycles inside an app",
         "No cycles are allowed in pledgecard.stories"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contract, shown):
    tree = tmp_path / "src"
    tree.mkdir()
    shutil.copy(ROOT / ".importlinter", tree / ".importlinter")
    shutil.copytree(ROOT / "src" / "pledgecard", tree / "pledgecard",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "jinja2", "templates", "*.pyc"))
    target = tree / "pledgecard" / module
    target.write_text(target.read_text() + f"\n{line}  # added by the test\n")

    result = lint_imports(tree, tree / ".importlinter")

    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert shown in broken
