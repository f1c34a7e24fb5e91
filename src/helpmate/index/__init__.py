"""Derived state built from the library: embeddings, the Chroma store, the keyword index, search."""
