"""The unit tests run on whichever Keras backend KERAS_BACKEND names (TensorFlow by default)."""

from __future__ import annotations

import os


def pytest_report_header(config: object) -> str:
    import keras

    return f"Keras {keras.__version__} on {keras.backend.backend()} (KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'unset')})"
