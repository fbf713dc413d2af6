"""attestations

Revision ID: 0005_attestations
Revises: 0004_workers
Create Date: 2026-11-23 03:46:32.584830
"""

from collections.abc import Sequence

import sqlalchemy as sa
from datetime import UTC, datetime
from alembic import op

revision: str = '0005_attestations'
down_revision: str | None = '0004_workers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 2^20 entries (128 KiB, a few hundred bytes gzipped while sparse): eight times the W3C
#: minimum of 131,072, so 100,000 workers re-verified every two years fill a tenth of it
#: in a decade and a random free index is found at the first or second try.
STATUS_LIST_SIZE = 1_048_576


def upgrade() -> None:
    
    op.create_table('status_list',
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name=op.f('ck_status_list_purpose')),
    sa.PrimaryKeyConstraint('purpose', name=op.f('pk_status_list'))
    )
    status_list = sa.table(
        "status_list", sa.column("purpose", sa.String), sa.column("size", sa.Integer),
        sa.column("bits", sa.LargeBinary), sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer))
    op.bulk_insert(status_list, [
        {"purpose": purpose, "size": STATUS_LIST_SIZE, "bits": bytes(STATUS_LIST_SIZE // 8),
         "updated_at": datetime.now(UTC), "version": 1}
        for purpose in ("revocation", "suspension")])
    op.create_table('signing_key',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=40), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_code'], ['unit.code'], name=op.f('fk_signing_key_unit_code_unit')),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_key'))
    )
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.create_index('ix_signing_key_unit_active', ['unit_code', 'retired_at'], unique=False)

    op.create_table('attestation',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('police_unit_code', sa.String(length=40), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('national_id_salt', sa.String(length=32), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kid'], ['signing_key.kid'], name=op.f('fk_attestation_kid_signing_key')),
    sa.ForeignKeyConstraint(['police_unit_code'], ['unit.code'], name=op.f('fk_attestation_police_unit_code_unit')),
    sa.ForeignKeyConstraint(['request_id'], ['vetting_request.id'], name=op.f('fk_attestation_request_id_vetting_request')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_attestation_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attestation')),
    sa.UniqueConstraint('request_id', name=op.f('uq_attestation_request_id')),
    sa.UniqueConstraint('status_index', name=op.f('uq_attestation_status_index'))
    )
    with op.batch_alter_table('attestation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attestation_worker_id'), ['worker_id'], unique=False)

    op.create_table('clearance',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('attestation_id', sa.String(length=32), nullable=False),
    sa.Column('police_unit_code', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('active', 'suspended', 'revoked')", name=op.f('ck_clearance_state')),
    sa.ForeignKeyConstraint(['attestation_id'], ['attestation.id'], name=op.f('fk_clearance_attestation_id_attestation')),
    sa.ForeignKeyConstraint(['police_unit_code'], ['unit.code'], name=op.f('fk_clearance_police_unit_code_unit')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_clearance_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance')),
    sa.UniqueConstraint('attestation_id', name=op.f('uq_clearance_attestation_id'))
    )
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_police_unit_code'), ['police_unit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_worker_id'), ['worker_id'], unique=False)

    op.create_table('clearance_event',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('clearance_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearance.id'], name=op.f('fk_clearance_event_clearance_id_clearance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_event'))
    )
    with op.batch_alter_table('clearance_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_event_clearance_id'), ['clearance_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('clearance_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_event_clearance_id'))

    op.drop_table('clearance_event')
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_worker_id'))
        batch_op.drop_index(batch_op.f('ix_clearance_police_unit_code'))

    op.drop_table('clearance')
    with op.batch_alter_table('attestation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attestation_worker_id'))

    op.drop_table('attestation')
    with op.batch_alter_table('signing_key', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_key_unit_active')

    op.drop_table('signing_key')
    op.drop_table('status_list')

