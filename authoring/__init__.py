"""Tools that build the course from its sources: toc and pairing checks, editions, site checks.

This package is for authors, instructors and CI. It reads the chapters and imports
``companion`` (the learners' package); ``companion`` never imports it, and the
Colab install cell never installs it. Modules: ``book`` (the table of contents,
paired notebooks, the setup-cell template, site checks), ``myst`` (the MyST directive
scanner), ``site_index`` (what a built site knows), ``notebook_edition`` (the notebook
edition Colab opens), ``editions`` (student edition, nbgrader source, instructor
guide), ``launch`` and ``student_site`` (Sphinx extensions).
"""
