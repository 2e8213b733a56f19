"""The owners' committee and the owners' assembly (业主委员会 / 业主大会)."""
