"""The README's set-up commands are the ones CI runs."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    install_and_run, tests = blocks[0].strip(), blocks[1].strip()
    assert "pip install ." in install_and_run and "strata encode" in install_and_run
    assert "strata decode" in install_and_run
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()
