"""The optional language-model layer: a model rewrites the engine's plan as the reply.

helpmate works fully without a model (``LLMSettings.provider = "none"``). With one, the engine
still detects needs and safeguarding risks and retrieves the records; ``ModelComposer`` only
asks the model to word the reply from that plan, checks the words against the directory
(``ground``) and falls back to the engine's own reply on any failure.

Nothing here imports LangChain at import time: the provider packages are loaded only when a
model is made, so importing this package is cheap. ``helpmate.assistant.llm.fake`` (a scripted
chat model for tests) is the exception and is not imported here.
"""

from __future__ import annotations

from helpmate.assistant.llm.composer import ComposeResult, GroundRecord, ModelComposer, PlanData, Prompt
from helpmate.assistant.llm.grounding import ground
from helpmate.assistant.llm.providers import is_remote, make_chat_model
from helpmate.assistant.llm.records import ground_record

__all__ = [
    "ComposeResult",
    "GroundRecord",
    "ModelComposer",
    "PlanData",
    "Prompt",
    "ground",
    "ground_record",
    "is_remote",
    "make_chat_model",
]
