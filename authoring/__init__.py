"""Tools that build the course from its sources: toc and pairing checks, editions, site checks.

This package is for authors, instructors and CI. It reads the chapters and imports
``companion`` (the learners' package); ``companion`` never imports it, and the
Colab install cell never installs it. Modules: ``book`` (the table of contents,
paired notebooks, site checks), ``editions`` (student edition, nbgrader source,
instructor guide) and ``student_site`` (the Sphinx extension of the student site).
"""
