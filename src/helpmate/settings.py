"""Where helpmate keeps things, from one place.

Every path can be overridden by an environment variable so tests and scripts never touch a
user's real data:

- ``HELPMATE_HOME``: all state (the index, sessions, logs). Default ``~/.local/share/helpmate``
  (or ``$XDG_DATA_HOME/helpmate``).
- ``HELPMATE_KNOWLEDGE``: the library directory. Default: the sample library shipped in
  ``knowledge/`` beside the source tree.
- ``HELPMATE_CHROMA_URL``: use a Chroma server (``http://127.0.0.1:8000``) instead of the
  embedded store in ``HELPMATE_HOME``.
- ``HELPMATE_EMBEDDER``: ``minilm`` (default, the real model) or ``hashing`` (a fast lexical
  embedder with no torch, for tests and for trying things on a slow machine).

pydantic-settings costs about 0.25 s to import, so nothing on the ``--help`` path imports this.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SOURCE_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LIBRARY = SOURCE_ROOT / "knowledge"


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "helpmate"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPMATE_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    """All state: index, sessions, logs."""
    knowledge: Path = SAMPLE_LIBRARY
    """The library directory (YAML records, needs taxonomy, safeguarding routes)."""
    chroma_url: str | None = None
    """A Chroma server to use instead of the embedded store, e.g. http://127.0.0.1:8000."""
    embedder: Literal["minilm", "hashing"] = "minilm"
    """Which embedder builds and queries the index."""
    area: str | None = None
    """The area to suggest for when none is given."""
    debug: bool = False
    """Show tracebacks for expected errors."""

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def sessions_dir(self) -> Path:
        return self.home / "sessions"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


def load_settings() -> Settings:
    return Settings()
