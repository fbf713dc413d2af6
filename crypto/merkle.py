"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification.

The registry's log stores only *perfect subtree* hashes, addressed by a coordinate
``(level, index)``: the hash of the aligned subtree covering leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 is the leaf hash itself.
Every subtree ``MTH(D[a:b])`` that RFC 6962 meets while building a root, an inclusion
PATH or a consistency PROOF splits (at the largest power of two smaller than its size)
into a handful of such aligned perfect subtrees. So a caller can ask
:func:`inclusion_coords` / :func:`consistency_coords` which O(log n) coordinates it
needs, fetch them in one query, and hand them to :func:`inclusion_proof` /
:func:`consistency_proof` without ever touching the whole log.

Everywhere below, "leaf" means the 32-byte *leaf hash* (``leaf_hash(entry)``), which is
what sits at coordinate ``(0, i)``; callers hash entries themselves.

Verifiers (:func:`verify_inclusion`, :func:`verify_consistency`) follow RFC 9162
§2.1.3.2 and §2.1.4.2 literally and never raise: any malformed input is simply ``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Coord",
    "Frontier",
    "all_coords_for_leaves",
    "consistency_coords",
    "consistency_proof",
    "inclusion_coords",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_coords",
    "range_hash",
    "root_coords",
    "root_from_leaves",
    "root_from_nodes",
    "verify_consistency",
    "verify_inclusion",
]

Coord = tuple[int, int]
"""``(level, index)`` of an aligned perfect subtree."""

HASH_SIZE = 32
"""SHA-256 digest length; every leaf, node and root hash has exactly this size."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() — RFC 6962 §2.1: the root of the empty tree."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --------------------------------------------------------------------------- hashing


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry): the domain-separated prefix stops a leaf posing as a node."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): interior node, domain-separated from leaves."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


# ------------------------------------------------------------------ tree arithmetic


def _check_int(name: str, value: int) -> None:
    """Reject bools and non-ints early: a ``True`` size would silently mean 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")


def _split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def range_coords(start: int, end: int) -> list[Coord]:
    """Aligned perfect subtrees, left to right, whose hashes make ``MTH(D[start:end])``.

    RFC 6962 splits ``D[start:end]`` at the largest power of two ``k`` below its size;
    the left part is perfect, the right part recurses, so the pieces are the set bits of
    ``end - start`` from high to low. They are *aligned* (hence stored) only when
    ``start`` is a multiple of the largest piece, which holds for every subtree the
    RFC algorithms meet; anything else is a ``ValueError``.
    """
    _check_int("start", start)
    _check_int("end", end)
    if start < 0 or end <= start:
        raise ValueError(f"empty or negative range [{start}, {end})")
    length = end - start
    if start % (1 << (length.bit_length() - 1)):
        raise ValueError(f"range [{start}, {end}) is not made of aligned perfect subtrees")
    coords: list[Coord] = []
    pos = start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            coords.append((level, pos >> level))
            pos += 1 << level
    return coords


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree hashes right to left, exactly as MTH nests its right side."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(start: int, end: int, nodes: Mapping[Coord, bytes]) -> bytes:
    """``MTH(D[start:end])`` from stored perfect-subtree hashes (KeyError if one is missing)."""
    return _fold([nodes[c] for c in range_coords(start, end)])


def root_coords(size: int) -> list[Coord]:
    """Perfect subtrees (one per set bit of ``size``, left to right) that make the root."""
    _check_int("size", size)
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    return range_coords(0, size) if size else []


def root_from_nodes(size: int, nodes: Mapping[Coord, bytes]) -> bytes:
    """Root of the tree of ``size`` leaves from the hashes at :func:`root_coords`."""
    coords = root_coords(size)
    if not coords:
        return EMPTY_ROOT
    return _fold([nodes[c] for c in coords])


# ------------------------------------------------------------------- proof planning
# Both proofs are lists of MTH(D[a:b]) values. We first compute *which* ranges (in
# proof order), then either map them to coordinates (for fetching) or to hashes.


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Ranges of RFC 6962 §2.1.1 PATH(index, D[0:size]), in proof (bottom-up) order."""
    _check_int("index", index)
    _check_int("size", size)
    if size <= 0:
        raise ValueError(f"inclusion proof needs a non-empty tree (size {size})")
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for tree size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split_point(end - start)
        if index < mid:
            ranges.append((mid, end))  # PATH(m, D[0:k]) : MTH(D[k:n])
            end = mid
        else:
            ranges.append((start, mid))  # PATH(m - k, D[k:n]) : MTH(D[0:k])
            start = mid
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Ranges of RFC 6962 §2.1.2 PROOF(first, D[0:second]), in proof order."""
    _check_int("first", first)
    _check_int("second", second)
    if first < 0 or second < 0:
        raise ValueError(f"negative tree size ({first}, {second})")
    if first > second:
        raise ValueError(f"first size {first} exceeds second size {second}")
    if first == 0 or first == second:
        return []  # RFC 9162 §2.1.4.1: nothing to prove
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, second, True  # `whole` is SUBPROOF's flag b
    while first - start != end - start:
        mid = start + _split_point(end - start)
        if first <= mid:
            ranges.append((mid, end))  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            end = mid
        else:
            ranges.append((start, mid))  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            start, whole = mid, False
    if not whole:
        ranges.append((start, end))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    ranges.reverse()
    return ranges


def _coords_of(ranges: Iterable[tuple[int, int]]) -> set[Coord]:
    return {c for a, b in ranges for c in range_coords(a, b)}


def inclusion_coords(index: int, size: int) -> set[Coord]:
    """Exactly the stored nodes :func:`inclusion_proof` reads, so they are fetched at once."""
    return _coords_of(_inclusion_ranges(index, size))


def consistency_coords(first: int, second: int) -> set[Coord]:
    """Exactly the stored nodes :func:`consistency_proof` reads, so they are fetched at once."""
    return _coords_of(_consistency_ranges(first, second))


def inclusion_proof(index: int, size: int, nodes: Mapping[Coord, bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH for leaf ``index`` in the tree of ``size`` leaves."""
    return [range_hash(a, b, nodes) for a, b in _inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, nodes: Mapping[Coord, bytes]) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF that the ``first``-leaf tree is a prefix of the ``second``."""
    return [range_hash(a, b, nodes) for a, b in _consistency_ranges(first, second)]


# ------------------------------------------------------------------------ frontier


class Frontier:
    """The compact right edge of the tree: one hash per set bit of ``size``.

    It is all that is needed to append in O(log n) and to compute the current root,
    so a writer keeps it in memory (rebuilt with :meth:`from_nodes`) while every node
    :meth:`append` creates goes to the database for later proofs.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """``hashes`` are the hashes at :func:`root_coords(size) <root_coords>`, in order."""
        coords = root_coords(size)
        hashes = list(hashes)
        if len(hashes) != len(coords):
            raise ValueError(f"size {size} needs {len(coords)} frontier hashes, got {len(hashes)}")
        for h in hashes:
            _check_hash(h)
        self._size = size
        self._hashes = hashes

    @classmethod
    def from_nodes(cls, size: int, nodes: Mapping[Coord, bytes]) -> Frontier:
        """Rebuild the frontier from stored perfect-subtree hashes."""
        return cls(size, [nodes[c] for c in root_coords(size)])

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """Perfect-subtree roots at :func:`root_coords(size) <root_coords>` (a copy)."""
        return list(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[Coord, bytes]]:
        """Add a leaf *hash*; return every new perfect node, the leaf ``(0, i)`` first.

        Each trailing set bit of the old size is a perfect subtree that now has a
        right sibling of equal height, so it merges into its parent.
        """
        _check_hash(leaf)
        old = self._size
        created: list[tuple[Coord, bytes]] = [((0, old), leaf)]
        acc, level = leaf, 0
        while old >> level & 1:
            acc = node_hash(self._hashes.pop(), acc)
            level += 1
            created.append(((level, old >> level), acc))
        self._hashes.append(acc)
        self._size = old + 1
        return created

    def root(self) -> bytes:
        """The current tree head hash (``EMPTY_ROOT`` for the empty tree)."""
        return _fold(self._hashes) if self._hashes else EMPTY_ROOT

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()})"


def _check_hash(value: bytes) -> None:
    """A stored hash must be 32 bytes: catches raw entries passed where hashes belong."""
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ValueError(f"expected a {HASH_SIZE}-byte hash")


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over all leaf hashes, for verifiers that recompute the whole log (O(log n) memory)."""
    frontier = Frontier()
    for leaf in leaf_hashes:
        frontier.append(leaf)
    return frontier.root()


def all_coords_for_leaves(leaf_hashes: Iterable[bytes]) -> dict[Coord, bytes]:
    """Every perfect node of the tree over ``leaf_hashes``: for tests and full rebuilds."""
    frontier = Frontier()
    nodes: dict[Coord, bytes] = {}
    for leaf in leaf_hashes:
        nodes.update(frontier.append(leaf))
    return nodes


# ---------------------------------------------------------------------- verification


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_path(proof: object) -> bool:
    return (
        isinstance(proof, Sequence)
        and not isinstance(proof, bytes | bytearray | str)
        and all(_is_hash(p) for p in proof)
    )


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: is leaf *hash* ``leaf`` at ``index`` in the ``size``-leaf tree ``root``?

    Never raises; wrong types, lengths, ranges or extra/missing elements give ``False``.
    """
    try:
        if not (_is_hash(leaf) and _is_hash(root) and _is_path(proof)):
            return False
        if not (_is_size(index) and _is_size(size)) or index >= size:
            return False
        fn, sn = index, size - 1
        r = bytes(leaf)
        for p in proof:
            if sn == 0:
                return False  # extra proof elements
            if fn & 1 or fn == sn:
                r = node_hash(bytes(p), r)
                while fn and not fn & 1:  # a no-op when LSB(fn) is set
                    fn >>= 1
                    sn >>= 1
            else:
                r = node_hash(r, bytes(p))
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == bytes(root)
    except Exception:  # pragma: no cover - defensive: verifiers must not raise
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the ``first``-leaf tree a prefix of the ``second``-leaf tree?

    ``first == second`` needs an empty proof and equal roots; ``first == 0`` needs an
    empty proof and ``first_root == EMPTY_ROOT``. Never raises; bad input is ``False``.
    """
    try:
        if not (_is_hash(first_root) and _is_hash(second_root) and _is_path(proof)):
            return False
        if not (_is_size(first) and _is_size(second)) or first > second:
            return False
        first_root, second_root = bytes(first_root), bytes(second_root)
        if first == second:
            return len(proof) == 0 and first_root == second_root
        if first == 0:
            return len(proof) == 0 and first_root == EMPTY_ROOT
        if len(proof) == 0:
            return False
        path = [bytes(p) for p in proof]
        if first & (first - 1) == 0:
            path.insert(0, first_root)
        fn, sn = first - 1, second - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False  # extra proof elements
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                while fn and not fn & 1:  # a no-op when LSB(fn) is set
                    fn >>= 1
                    sn >>= 1
            else:
                sr = node_hash(sr, c)
            fn >>= 1
            sn >>= 1
        return sn == 0 and fr == first_root and sr == second_root
    except Exception:  # pragma: no cover - defensive: verifiers must not raise
        return False
