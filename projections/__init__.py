"""Cross-organisation views built from the four bodies' topics: one folder per view."""
