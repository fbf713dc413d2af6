"""change signal: triggers name what each write changed, for the read caches of every process
(SQLite appends to change_log; PostgreSQL notifies kt1_change)

A table rebuilt by a later SQLite batch migration loses its triggers: such a migration must
create them again (`_sqlite_triggers`).

Revision ID: 0015_change_signal
Revises: 0014_worker_summary
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_change_signal'
down_revision: str | None = '0014_worker_summary'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (key prefix, the column naming what changed); None: a change to anything
SOURCES: dict[str, tuple[str, str] | None] = {
    'worker': ('worker:', 'id'),
    'training': ('worker:', 'worker_id'),
    'commitment': ('worker:', 'worker_id'),
    'vetting_request': ('worker:', 'worker_id'),
    'clearance': ('worker:', 'worker_id'),
    'attestation': ('worker:', 'worker_id'),
    'route': ('route:', 'id'),
    'user_account': ('account:', 'id'),
    'unit': None,
    'signing_key': None,
}
OPERATIONS = ('insert', 'update', 'delete')
KEEP_ROWS = 10_000

_PG_FUNCTION = """
CREATE FUNCTION kt1_change_signal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS = 0 THEN
        PERFORM pg_notify('kt1_change', '*');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('kt1_change', TG_ARGV[0] || (to_jsonb(NEW) ->> TG_ARGV[1]));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('kt1_change', TG_ARGV[0] || (to_jsonb(OLD) ->> TG_ARGV[1]));
    END IF;
    RETURN NULL;
END $$
"""


def _sqlite_triggers(table: str) -> list[str]:
    source = SOURCES[table]
    new, old = (f"'{source[0]}' || NEW.{source[1]}", f"'{source[0]}' || OLD.{source[1]}") \
        if source else ("'*'", "'*'")
    keys = {'insert': f"VALUES ({new})", 'update': f"SELECT {new} UNION SELECT {old}",
            'delete': f"VALUES ({old})"}
    return [f"CREATE TRIGGER change_{table}_{operation} AFTER {operation.upper()} ON {table} "
            f"BEGIN INSERT INTO change_log (key) {keys[operation]}; END"
            for operation in OPERATIONS]


def _postgres_triggers(table: str) -> list[str]:
    source = SOURCES[table]
    if source is None:
        return [f"CREATE TRIGGER change_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION kt1_change_signal()"]
    return [f"CREATE TRIGGER change_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION kt1_change_signal('{source[0]}', '{source[1]}')",
            f"CREATE TRIGGER change_{table}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION kt1_change_signal()"]


def upgrade() -> None:
    op.create_table(
        'change_log',
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=48), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_change_log')),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE TRIGGER change_log_prune AFTER INSERT ON change_log "
                   "WHEN NEW.seq % 1000 = 0 BEGIN "
                   f"DELETE FROM change_log WHERE seq <= NEW.seq - {KEEP_ROWS}; END")
        for table in SOURCES:
            for statement in _sqlite_triggers(table):
                op.execute(statement)
    else:
        op.execute(_PG_FUNCTION)
        for table in SOURCES:
            for statement in _postgres_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for table in SOURCES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER change_{table}_{operation}")
    else:
        for table, source in SOURCES.items():
            op.execute(f"DROP TRIGGER change_{table} ON {table}")
            if source is not None:
                op.execute(f"DROP TRIGGER change_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION kt1_change_signal()")
    op.drop_table('change_log')
