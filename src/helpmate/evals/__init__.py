"""Evaluation sets: cases in YAML, a runner over the engine, metrics and reports."""
