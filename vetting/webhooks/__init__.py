"""Signed webhooks (Standard Webhooks v1) fed by the notification outbox."""
