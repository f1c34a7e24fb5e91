"""The whole picture: anonymous events from conversations, and the reports built from them.

Sits at the top beside ``cli/``, ``tui/`` and ``evals/``: it reads the engine's results and the
library; nothing below imports it.
"""
