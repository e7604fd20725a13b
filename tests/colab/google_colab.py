"""A stand-in for Colab's ``google.colab`` package, for ``make test-colab``.

Colab's kernel imports ``google.colab`` at start-up, and the course's setup cell takes
``"google.colab" in sys.modules`` to mean "running on Colab: install the companion".
This module is copied into the test environment as ``google/colab/__init__.py`` and
imported by an IPython start-up file, so the notebooks take their Colab path. It
offers nothing else: a notebook that needs more of Colab fails here, visibly.
"""

IN_COLAB_TEST = True
