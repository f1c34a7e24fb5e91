"""Finding personal data with Presidio and spaCy: the analyser, UK recognisers, names and scoring.

Everything here is imported only when redaction is needed (a remote model with ``redact`` on), as
``Presidio``, ``spaCy``, ``Faker`` and ``english-words`` are the ``llm`` extra. ``redact.py`` uses it.
"""
