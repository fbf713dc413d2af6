"""idempotency records per account and scope, with a claim, the answer's headers and an expiry

Revision ID: 0011_idempotency_scope
Revises: 0009_transfer_reason

Stored answers made before carry no scope, so nothing proves their caller may still see them:
they are dropped (a retry with such a key runs anew; the registry's own uniqueness rules refuse
a duplicate worker, request or route).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_idempotency_scope'
down_revision: str | None = '0010_page_sessions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table('idempotency_record')
    op.create_table('idempotency_record',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_headers', sa.Text(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'scope', 'key', name=op.f('pk_idempotency_record'))
    )
    op.create_index(op.f('ix_idempotency_record_expires_at'), 'idempotency_record',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotency_record_expires_at'), table_name='idempotency_record')
    op.drop_table('idempotency_record')
    op.create_table('idempotency_record',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_record'))
    )
