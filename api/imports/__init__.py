"""Spreadsheet imports on the API side: the columns of each import, reading an upload into
the request structs the one-at-a-time endpoints use, templates, and the report in words."""
