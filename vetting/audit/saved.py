"""A checkpoint an inspector saved earlier, checked against the log as it is now: its
signature under the registry's audit key, then the RFC 9162 consistency proof from its size
to today's, verified as any outside tool would (from hashes only, no entry read). The page
and `kt1vet audit verify --checkpoint` read the saved file with the same parser."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import checkpoints, merkle
from vetting.audit.proofs import consistency, log_size, root_at
from vetting.errors import InvalidInput
from vetting.keys import RegistryKeys


@dataclass(frozen=True, slots=True)
class SavedCheck:
    saved: checkpoints.Checkpoint
    current_size: int
    current_root: bytes
    signature_valid: bool
    consistent: bool
    proof_length: int

    @property
    def holds(self) -> bool:
        return self.signature_valid and self.consistent


def read_saved(raw: bytes | str) -> tuple[checkpoints.Checkpoint, str]:
    """The checkpoint and its signature from the JSON `GET /audit/checkpoint` answered."""
    try:
        data: Any = json.loads(raw)
        head = checkpoints.Checkpoint(origin=data["origin"], size=int(data["size"]),
                                      root=bytes.fromhex(data["root"]),
                                      timestamp=data["timestamp"])
        return head, str(data["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"not a saved checkpoint ({exc})", field="checkpoint",
                           code="CHECKPOINT_UNREADABLE") from exc


async def check_saved(session: AsyncSession, keys: RegistryKeys,
                      saved: checkpoints.Checkpoint, signature: str) -> SavedCheck:
    size = await log_size(session)
    root = await root_at(session, size)
    signed = checkpoints.verify_checkpoint(saved, signature, keys.audit_jwk())
    proof: list[bytes] = []
    consistent = False
    if saved.size <= size:
        proof = (await consistency(session, first=saved.size, second=size)).proof
        consistent = merkle.verify_consistency(saved.size, size, saved.root, root, proof)
    return SavedCheck(saved=saved, current_size=size, current_root=root,
                      signature_valid=signed, consistent=consistent, proof_length=len(proof))
