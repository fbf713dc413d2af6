"""Imports from HR's spreadsheets: every row checked as the one-at-a-time action checks it,
all rows written in one transaction or none."""
