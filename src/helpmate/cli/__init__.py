"""The ``helpmate`` command. Heavy modules are imported inside commands so ``--help`` stays fast."""
