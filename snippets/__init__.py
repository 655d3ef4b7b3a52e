"""Runnable NumPy implementations of the glossary terms; see site_src/contributing.md."""
