"""The terminal app (Textual): what a frontline worker sees while talking with a citizen.

The app only displays the conversation engine and sends it messages: no widget calls retrieval
or a language model. All engine work runs in thread workers (``conversation.Conversation`` is the
one object they call), so typing never waits for a suggestion. Nothing heavy (torch, Chroma) is
imported before the first paint; the runtime loads in a worker after it.

Layers: this package may import ``helpmate.assistant``, ``helpmate.settings``, ``helpmate.errors``
and ``helpmate.knowledge.records`` (and ``atomic_write`` to write files); nothing below imports it.
"""
