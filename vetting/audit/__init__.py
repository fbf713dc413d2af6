"""The tamper-evident audit log: appends, proofs, checkpoints and verification."""
