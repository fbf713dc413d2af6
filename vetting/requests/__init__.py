"""Vetting requests: nomination, routing to police, review and the two-person decision."""
