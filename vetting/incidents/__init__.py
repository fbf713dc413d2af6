"""Incidents on KT1 items and the review that follows them."""
