"""helpmate: a terminal assistant for public-sector frontline workers (see README.md)."""
