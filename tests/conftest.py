"""The unit tests run on whichever Keras backend KERAS_BACKEND names (TensorFlow by default)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import settings

# The same examples on every run, so that CI's result does not depend on a random draw;
# HYPOTHESIS_PROFILE=explore draws fresh ones when you hunt for new failures.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config: object) -> str:
    import keras

    return f"Keras {keras.__version__} on {keras.backend.backend()} (KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'unset')})"


@pytest.fixture
def clean_venv(tmp_path):
    """A fresh virtual environment, as a learner's: ``install(*pip_args)`` pip-installs into it.

    Returns ``(python, install, env)``; ``env`` has no PYTHONPATH (a worktree sets one), so
    only what pip installed is importable.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"

    def install(*args: str) -> None:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *args],
            check=True,
            timeout=900,
            env=env,
        )

    return python, install, env
