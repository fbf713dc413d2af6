"""Assertions for the set-up steps of a test: a step that silently failed would let the
test pass for the wrong reason (or fail far from the cause)."""

from __future__ import annotations

import httpx


def succeeded(response: httpx.Response) -> httpx.Response:
    """`response`, after asserting that the call it answers succeeded (2xx)."""
    assert response.is_success, f"{response.request.method} {response.request.url.path}: " \
                                f"{response.status_code} {response.text}"
    return response
