"""The conversation engine: situations, needs, safeguarding, plans and replies. Never imports Textual."""
