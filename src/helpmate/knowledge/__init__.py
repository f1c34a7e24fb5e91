"""Knowledge: records, the needs taxonomy, areas, library files, importers and validation (the lowest layer)."""
