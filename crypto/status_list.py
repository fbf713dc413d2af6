"""W3C Bitstring Status List encoding: GZIP, then multibase base64url ('u' prefix, no padding).

Bit 0 is the most significant bit of the first byte (the W3C ordering), so the index a
credential names reads the same way in any conforming implementation.
"""

from __future__ import annotations

import base64
import gzip

MIN_ENTRIES = 131_072


def encode(bits: bytes) -> str:
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode(encoded: str, *, max_bytes: int = 16 * 1024 * 1024) -> bytes:
    """The bitstring, or ValueError for anything that is not an encoded list."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    body = encoded[1:]
    try:
        compressed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_",
                                      validate=True)
        with gzip.GzipFile(fileobj=_Reader(compressed)) as stream:
            bits = stream.read(max_bytes + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError("encodedList is not GZIP-compressed base64url") from exc
    if not bits:
        raise ValueError("encodedList is empty")
    if len(bits) > max_bytes:
        raise ValueError("encodedList is too large")
    return bits


def get_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int, value: bool) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} is outside the list")
    data = bytearray(bits)
    mask = 0x80 >> (index % 8)
    data[index // 8] = (data[index // 8] | mask) if value else (data[index // 8] & ~mask)
    return bytes(data)


class _Reader:
    """A minimal file object over bytes (gzip needs read())."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos:end], min(end, len(self._data))
        return chunk
