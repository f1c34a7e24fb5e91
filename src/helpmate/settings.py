"""Where helpmate keeps things, from one place.

Every path can be overridden by an environment variable so tests and scripts never touch a
user's real data:

- ``HELPMATE_HOME``: all state (the index, sessions, logs). Default ``~/.local/share/helpmate``
  (or ``$XDG_DATA_HOME/helpmate``).
- ``HELPMATE_KNOWLEDGE``: the library directory. Default: the sample library shipped inside the
  package (``helpmate/data/library``).
- ``HELPMATE_CHROMA_URL``: use a Chroma server (``http://127.0.0.1:8000``) instead of the
  embedded store in ``HELPMATE_HOME``.
- ``HELPMATE_EMBEDDER``: ``minilm`` (default, the real model), ``mpnet`` (a larger packaged model),
  ``hashing`` (a fast lexical embedder with no model, for tests) or the path of a
  sentence-transformers folder; ``HELPMATE_EMBEDDER_BACKEND``: ``onnx`` (default), ``onnx-int8`` or ``torch``.
- ``HELPMATE_MODELS_DIR``: where exported and assembled models live. Default
  ``~/.cache/helpmate/models`` (or ``$XDG_CACHE_HOME/helpmate/models``): they are made from the
  packaged weights and the same for every home, so every home (and every test) on the machine
  reuses one export instead of making its own.
- ``HELPMATE_LLM__PROVIDER`` and friends: an optional language model (see ``LLMSettings``).

Settings are read, highest first, from the environment, then ``HELPMATE_CONFIG`` (default
``HELPMATE_HOME/config.toml``), then the defaults here.

pydantic-settings costs about 0.25 s to import, so nothing on the ``--help`` path imports this.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from helpmate import data

SAMPLE_LIBRARY = data.path("library")


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "helpmate"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "helpmate"


class LLMSettings(BaseModel):
    """An optional language model that writes the replies; helpmate works fully without one."""

    provider: Literal["none", "ollama", "openai", "llamacpp"] = "none"
    """none (default: helpmate's own replies), ollama, openai (any OpenAI-compatible server) or llamacpp."""
    model: str = ""
    """Model name for ollama and openai-compatible servers."""
    base_url: str = ""
    """Server address, e.g. http://127.0.0.1:11434 (Ollama) or http://127.0.0.1:8080/v1."""
    api_key: str = ""
    """Key for an OpenAI-compatible server (many local servers accept any value)."""
    model_path: str = ""
    """A local GGUF file, for the llamacpp provider."""
    timeout_s: float = 20.0
    """Seconds to wait for a reply before falling back to helpmate's own reply."""
    temperature: float = 0.2
    redact: bool = True
    """Replace names, numbers and addresses with placeholders before text leaves this machine."""


class ServeSettings(BaseModel):
    """``helpmate serve`` (``[serve]`` in the config file, ``HELPMATE_SERVE__MAX_SESSIONS``)."""

    max_sessions: int = Field(default=4, ge=1, le=64)
    """Browser tabs open at once (each runs its own app process); the next tab is told to close one."""


class InsightSettings(BaseModel):
    """Anonymous events for ``helpmate insight`` (``[insight]`` in the config file, ``HELPMATE_INSIGHT__RECORD``)."""

    record: bool = True
    """Leave an anonymous event per conversation (week, area, needs, records; never text or names)."""
    min_count: int = Field(default=5, ge=1, le=1000)
    """Figures drawn from fewer conversations than this show as "fewer than N" in every report."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELPMATE_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    """All state: index, sessions, logs."""
    knowledge: Path = SAMPLE_LIBRARY
    """The library directory (YAML records, needs taxonomy, safeguarding routes)."""
    chroma_url: str | None = None
    """A Chroma server to use instead of the embedded store, e.g. http://127.0.0.1:8000."""
    embedder: str = "minilm"
    """Which embedder builds and queries the index: minilm, mpnet, hashing or a model folder's path."""
    embedder_backend: Literal["onnx", "onnx-int8", "torch"] = "onnx"
    """How a sentence model runs: onnx (no torch when answering), onnx-int8 (faster, close) or torch."""
    models_dir: Path | None = None
    """Exported ONNX models and assembled packaged models; default ~/.cache/helpmate/models."""
    area: str | None = None
    """The area to suggest for when none is given."""
    debug: bool = False
    """Show tracebacks for expected errors."""
    log_messages: bool = False
    """Write what workers type to the log (off: nothing typed is logged)."""
    llm: LLMSettings = LLMSettings()
    serve: ServeSettings = ServeSettings()
    insight: InsightSettings = InsightSettings()
    database_url: str | None = None
    """Where insight events go: unset is SQLite in HOME/insight.db; postgresql+psycopg://... for a team."""

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        """A name, or a folder that exists: a typo fails here, in one line, not deep in a load."""
        value = value.strip()
        if value in ("minilm", "mpnet", "hashing") or Path(value).expanduser().is_dir():
            return value
        raise ValueError(f"'{value}' is not minilm, mpnet, hashing or the path of a model folder")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_path()))

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

    @property
    def models_path(self) -> Path:
        return self.models_dir or _default_cache() / "models"


def config_path() -> Path:
    """The config file: HELPMATE_CONFIG, else config.toml in HELPMATE_HOME (or its default)."""
    explicit = os.environ.get("HELPMATE_CONFIG")
    if explicit:
        return Path(explicit)
    home = os.environ.get("HELPMATE_HOME")
    return (Path(home) if home else _default_home()) / "config.toml"


def load_settings() -> Settings:
    return Settings()
