"""The append-only audit log, its Merkle nodes, head and signed checkpoints.

On PostgreSQL a trigger refuses UPDATE and DELETE on these tables, so that the
application's role can only append (a superuser can still disable triggers,
which the Merkle tree and an inspector's saved checkpoint then expose).

Revision ID: 0002_audit
Revises: 0001_reference
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_audit"
down_revision: str | None = "0001_reference"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("audit_entry", "audit_node", "audit_checkpoint")


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("seq", BIG, nullable=False, autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=True),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_entry"),
    )
    for column in ("created_at", "actor_id", "action", "object_id"):
        op.create_index(f"ix_audit_entry_{column}", "audit_entry", [column])
    op.create_table(
        "audit_node",
        sa.Column("level", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("idx", BIG, nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_node"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("size", BIG, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.execute("INSERT INTO audit_head (id, size) VALUES (1, 0)")
    op.create_table(
        "audit_checkpoint",
        sa.Column("size", BIG, nullable=False, autoincrement=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_audit_checkpoint"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION kt1_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kt1_refuse_change()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS kt1_refuse_change()")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_head")
    op.drop_table("audit_node")
    for column in ("created_at", "actor_id", "action", "object_id"):
        op.drop_index(f"ix_audit_entry_{column}", table_name="audit_entry")
    op.drop_table("audit_entry")
