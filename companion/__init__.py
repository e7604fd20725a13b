"""Companion package of the course "Building with Large AI Models".

Modules are named for what they hold: ``data`` (datasets), ``device`` (where code
runs, seeds), ``plotting`` (figures), ``notebook`` (glue for the book's prose) and
``exercises`` (self-checking exercises). Importing the package is cheap: TensorFlow
is imported only by the functions that need it.
"""

__version__ = "0.1.0"
