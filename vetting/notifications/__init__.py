"""Notifications through a transactional outbox."""
