"""Turn ``LLMSettings`` into a LangChain chat model, or ``None`` when no model is configured.

Why here and why lazy: helpmate must start and answer with no language model at all, and most
workers never configure one. Each provider's package (``langchain-ollama``, ``langchain-openai``,
``langchain-community`` with ``llama-cpp-python``) is imported only inside its own branch, so a
missing optional package costs nothing until someone asks for that provider, and then fails
with a ``HelpmateError`` that says which package to install rather than a bare ImportError.

``is_remote`` tells the caller whether text would leave this machine, so it can redact the
worker's words first (``LLMSettings.redact``).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from helpmate.errors import HelpmateError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from helpmate.settings import LLMSettings  # pydantic-settings is slow to import; only types here

MAX_REPLY_TOKENS = 512
"""A reply for a worker is a few short lines; this also stops a small local model rambling on."""
LLAMACPP_CONTEXT = 4096
"""Context window for a local GGUF: the prompt (instructions, records, situation) fits well inside."""
LLAMACPP_BATCH = 512
"""Prompt tokens per batch: ChatLlamaCpp's default of 8 makes reading the prompt several times slower."""
OLLAMA_DEFAULT = "http://127.0.0.1:11434"


def _missing(package: str, provider: str, exc: ImportError) -> HelpmateError:
    return HelpmateError(
        f"the '{provider}' language model provider needs the Python package '{package}', which is not installed ({exc})",
        hint=f'install it with: pip install {package}   (or set llm.provider = "none")',
    )


def make_chat_model(settings: LLMSettings) -> BaseChatModel | None:
    """The chat model for ``settings.provider``; ``None`` for ``none``. Raises ``HelpmateError``."""
    provider = settings.provider
    if provider == "none":
        return None
    if provider == "ollama":
        if not settings.model:
            raise HelpmateError(
                "the ollama provider needs a model name",
                hint="set HELPMATE_LLM__MODEL, e.g. llama3.2:3b (see `ollama list`)",
            )
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise _missing("langchain-ollama", provider, exc) from exc
        return ChatOllama(
            model=settings.model,
            base_url=settings.base_url or None,
            temperature=settings.temperature,
            num_predict=MAX_REPLY_TOKENS,
            client_kwargs={"timeout": settings.timeout_s},
        )
    if provider == "openai":
        if not settings.model:
            raise HelpmateError(
                "the openai provider needs a model name",
                hint="set HELPMATE_LLM__MODEL to a model the server offers (GET <base_url>/models lists them)",
            )
        try:
            from langchain_openai import ChatOpenAI
            from pydantic import SecretStr
        except ImportError as exc:
            raise _missing("langchain-openai", provider, exc) from exc
        return ChatOpenAI(
            model=settings.model,
            base_url=settings.base_url or None,
            # Many local servers accept any key; the client insists on one being set.
            api_key=SecretStr(settings.api_key or os.environ.get("OPENAI_API_KEY", "") or "not-needed"),
            timeout=settings.timeout_s,
            max_retries=0,
            temperature=settings.temperature,
            max_completion_tokens=MAX_REPLY_TOKENS,
            # ChatOpenAI sends only max_completion_tokens, which llama-cpp-python's server and
            # llamafile ignore (they read the older max_tokens), so a local server also gets that.
            extra_body=None if is_remote(settings) else {"max_tokens": MAX_REPLY_TOKENS},
        )
    if provider == "llamacpp":
        if not settings.model_path:
            raise HelpmateError(
                "the llamacpp provider needs a GGUF model file",
                hint="set HELPMATE_LLM__MODEL_PATH to the .gguf file",
            )
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise HelpmateError(
                f"no GGUF model file at {path}", hint="check HELPMATE_LLM__MODEL_PATH points at a .gguf file"
            )
        try:
            import llama_cpp  # noqa: F401  - ChatLlamaCpp imports it only when built
        except ImportError as exc:
            raise _missing("llama-cpp-python", provider, exc) from exc
        except (OSError, RuntimeError) as exc:  # the package is there but its native library is not
            raise HelpmateError(
                f"llama-cpp-python is installed but could not load its native library ({exc})",
                hint="reinstall it: pip install --force-reinstall --no-cache-dir llama-cpp-python",
            ) from exc
        try:
            from langchain_community.chat_models import ChatLlamaCpp
        except ImportError as exc:
            raise _missing("langchain-community", provider, exc) from exc
        threads = max(1, (os.cpu_count() or 2) // 2)
        try:
            return ChatLlamaCpp(
                model_path=str(path),
                temperature=settings.temperature,
                max_tokens=MAX_REPLY_TOKENS,
                n_ctx=LLAMACPP_CONTEXT,
                n_batch=LLAMACPP_BATCH,
                # Half the logical CPUs (about the physical cores) for generation and for the
                # prompt: more threads than free cores makes llama.cpp far slower, not faster.
                n_threads=threads,
                model_kwargs={"n_threads_batch": threads},
                verbose=False,
            )
        except ValueError as exc:  # ChatLlamaCpp wraps llama.cpp's load failure in a ValueError
            raise HelpmateError(
                f"could not load the model {path}: {' '.join(str(exc).split())[:200]}",
                hint="check it is a complete GGUF file that this llama-cpp-python version supports",
            ) from exc
    raise HelpmateError(  # pragma: no cover - LLMSettings only admits the names above
        f"unknown language model provider '{provider}'", hint="use none, ollama, openai or llamacpp"
    )


def _host(url: str) -> str:
    if "://" not in url:
        url = "http://" + url
    return (urlsplit(url).hostname or "").lower()


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_remote(settings: LLMSettings) -> bool:
    """True when the model's text would leave this machine.

    ``none`` sends nothing and ``llamacpp`` runs in-process, so both are local. Otherwise the
    server's host decides: loopback (127.0.0.0/8, ``localhost``, ``::1``) is local, anything else
    (including another machine on the local network) is remote. With no ``base_url`` the client
    library's default applies: Ollama's is this machine (or ``OLLAMA_HOST``), OpenAI's is the
    OpenAI API (or ``OPENAI_BASE_URL``).
    """
    if settings.provider in ("none", "llamacpp"):
        return False
    url = settings.base_url
    if not url and settings.provider == "ollama":
        url = os.environ.get("OLLAMA_HOST", "") or OLLAMA_DEFAULT
    if not url and settings.provider == "openai":
        url = os.environ.get("OPENAI_BASE_URL", "") or os.environ.get("OPENAI_API_BASE", "")
        if not url:
            return True
    return not _is_loopback(_host(url))
