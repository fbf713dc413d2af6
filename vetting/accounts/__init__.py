"""Accounts, passwords, sessions and second factors."""
