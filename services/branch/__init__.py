"""The compound party branch (小区党支部)."""
