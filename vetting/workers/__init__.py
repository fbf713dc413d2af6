"""The worker registry: dossiers, training, commitments, employment."""
