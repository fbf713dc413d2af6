"""workers and vetting requests

Revision ID: 0004_workers
Revises: 0003_accounts
Create Date: 2026-11-23 03:41:16.827485
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_workers'
down_revision: str | None = '0003_accounts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
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
    op.create_table('worker',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('post_unit_code', sa.String(length=40), nullable=False),
    sa.Column('employee_no', sa.String(length=32), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('sex', sa.String(length=6), nullable=False),
    sa.Column('stages', sa.String(length=100), nullable=False),
    sa.Column('permanent_province', sa.String(length=2), nullable=False),
    sa.Column('national_id_bidx', sa.String(length=64), nullable=False),
    sa.Column('national_id_mask', sa.String(length=16), nullable=False),
    sa.Column('national_id_enc', sa.LargeBinary(), nullable=False),
    sa.Column('date_of_birth_enc', sa.LargeBinary(), nullable=False),
    sa.Column('hometown_enc', sa.LargeBinary(), nullable=False),
    sa.Column('permanent_address_enc', sa.LargeBinary(), nullable=False),
    sa.Column('current_address_enc', sa.LargeBinary(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('leave_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("sex IN ('male', 'female')", name=op.f('ck_worker_sex')),
    sa.ForeignKeyConstraint(['permanent_province'], ['province.code'], name=op.f('fk_worker_permanent_province_province')),
    sa.ForeignKeyConstraint(['post_unit_code'], ['unit.code'], name=op.f('fk_worker_post_unit_code_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker')),
    sa.UniqueConstraint('national_id_bidx', name=op.f('uq_worker_national_id_bidx')),
    sa.UniqueConstraint('post_unit_code', 'employee_no', name=op.f('uq_worker_post_unit_code_employee_no'))
    )
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_post_unit_code'), ['post_unit_code'], unique=False)

    op.create_table('commitment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_commitment_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_worker_id'), ['worker_id'], unique=False)

    op.create_table('training',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_training_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training'))
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_worker_id'), ['worker_id'], unique=False)

    op.create_table('vetting_request',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('post_unit_code', sa.String(length=40), nullable=False),
    sa.Column('police_unit_code', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('stages', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('info_request_enc', sa.LargeBinary(), nullable=True),
    sa.Column('proposed_outcome', sa.String(length=20), nullable=True),
    sa.Column('proposed_by', sa.String(length=32), nullable=True),
    sa.Column('police_note_enc', sa.LargeBinary(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('approved_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('policy_version', sa.String(length=20), nullable=False),
    sa.Column('decision_policy_version', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('submitted', 'in_review', 'needs_info', 'awaiting_approval', 'cleared', 'not_cleared', 'withdrawn')", name=op.f('ck_vetting_request_state')),
    sa.ForeignKeyConstraint(['police_unit_code'], ['unit.code'], name=op.f('fk_vetting_request_police_unit_code_unit')),
    sa.ForeignKeyConstraint(['post_unit_code'], ['unit.code'], name=op.f('fk_vetting_request_post_unit_code_unit')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_vetting_request_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_request'))
    )
    with op.batch_alter_table('vetting_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_request_post_unit_code'), ['post_unit_code'], unique=False)
        batch_op.create_index('ix_vetting_request_unit_state', ['police_unit_code', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_request_worker_id'), ['worker_id'], unique=False)

    op.create_table('vetting_event',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('police_unit_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['vetting_request.id'], name=op.f('fk_vetting_event_request_id_vetting_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_event'))
    )
    with op.batch_alter_table('vetting_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_event_request_id'), ['request_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('vetting_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_event_request_id'))

    op.drop_table('vetting_event')
    with op.batch_alter_table('vetting_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_request_worker_id'))
        batch_op.drop_index('ix_vetting_request_unit_state')
        batch_op.drop_index(batch_op.f('ix_vetting_request_post_unit_code'))

    op.drop_table('vetting_request')
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_worker_id'))

    op.drop_table('training')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_worker_id'))

    op.drop_table('commitment')
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_post_unit_code'))

    op.drop_table('worker')
    op.drop_table('idempotency_record')

