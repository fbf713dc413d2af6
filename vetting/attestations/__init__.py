"""Signed attestations of police decisions, clearances and their published status."""
