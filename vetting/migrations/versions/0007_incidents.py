"""incidents

Revision ID: 0007_incidents
Revises: 0006_routes
Create Date: 2026-11-23 04:08:50.372056
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_incidents'
down_revision: str | None = '0006_routes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('outbox_event',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('relayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_event_dedupe_key'))
    )
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_event_kind'), ['kind'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_unit_code', sa.String(length=40), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('route_id', sa.String(length=32), nullable=True),
    sa.Column('description_enc', sa.LargeBinary(), nullable=False),
    sa.Column('reported_by', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('loss', 'damage', 'delay', 'suspected_leak', 'other')", name=op.f('ck_incident_kind')),
    sa.CheckConstraint("state IN ('open', 'concluded')", name=op.f('ck_incident_state')),
    sa.ForeignKeyConstraint(['post_unit_code'], ['unit.code'], name=op.f('fk_incident_post_unit_code_unit')),
    sa.ForeignKeyConstraint(['province_code'], ['province.code'], name=op.f('fk_incident_province_code_province')),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_incident_route_id_route')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_province_time', ['province_code', 'occurred_at'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_event.id'], name=op.f('fk_notification_event_id_outbox_event')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('incident_worker',
    sa.Column('incident_id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('clearance_id', sa.String(length=32), nullable=True),
    sa.Column('resolution', sa.String(length=12), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['clearance_id'], ['clearance.id'], name=op.f('fk_incident_worker_clearance_id_clearance')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_incident_worker_incident_id_incident')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_incident_worker_worker_id_worker')),
    sa.PrimaryKeyConstraint('incident_id', 'worker_id', name=op.f('pk_incident_worker'))
    )



def downgrade() -> None:
    
    op.drop_table('incident_worker')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')

    op.drop_table('notification')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_province_time')

    op.drop_table('incident')
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_event_kind'))

    op.drop_table('outbox_event')

