"""Dagster definitions for kkm2, one folder-like module per concern (STYLE.md)."""
