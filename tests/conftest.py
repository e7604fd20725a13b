"""The unit tests run on whichever Keras backend KERAS_BACKEND names (TensorFlow by default)."""

from __future__ import annotations

import os

from hypothesis import settings

# The same examples on every run, so that CI's result does not depend on a random draw;
# HYPOTHESIS_PROFILE=explore draws fresh ones when you hunt for new failures.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config: object) -> str:
    import keras

    return f"Keras {keras.__version__} on {keras.backend.backend()} (KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'unset')})"
