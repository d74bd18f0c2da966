"""hazards per village and month found, kept by triggers; the hazard map's per-level index goes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:50:12.204518

The whole area's hazards by village read whole months from hazard_village_months instead of
every hazard found in the period (see data_access/summaries.py for who keeps it). The map no
longer reads hazards level by level (it draws the open ones, and the closed ones only when
they fit), so ix_hazards_map only cost writes. A frozen copy: a migration never imports the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ADVISORY_LOCK = 720_260_003  # = 0003's: summary-keeping transactions take turns
OPEN_STATUSES = "('待处置', '整改中')"
COUNTED = ('found_at', 'status', 'village_id')  # an update that changes none of them changes nothing here
NAME = 'hazard_village_months'


def _sqlite_body(row: str, sign: str) -> str:
    return f"""
    INSERT INTO {NAME} (month, village_id, found, found_open)
    VALUES (date({row}.found_at, 'start of month'), {row}.village_id, {sign}1,
            {sign}({row}.status IN {OPEN_STATUSES}))
    ON CONFLICT (month, village_id) DO UPDATE SET
        found = found + excluded.found, found_open = found_open + excluded.found_open;"""


def _sqlite_triggers() -> list[str]:
    when = 'WHEN NOT EXISTS (SELECT 1 FROM summary_pauses)'
    return [
        f'CREATE TRIGGER {NAME}_insert AFTER INSERT ON hazards {when} BEGIN {_sqlite_body("NEW", "")} END',
        f'CREATE TRIGGER {NAME}_delete AFTER DELETE ON hazards {when} BEGIN {_sqlite_body("OLD", "-")} END',
        f'CREATE TRIGGER {NAME}_update AFTER UPDATE OF {", ".join(COUNTED)} ON hazards {when} '
        f'BEGIN {_sqlite_body("OLD", "-")} {_sqlite_body("NEW", "")} END',
    ]


def _pg_body(rows: str, sign: str) -> str:
    return f"""
    INSERT INTO {NAME} AS t (month, village_id, found, found_open)
    SELECT CAST(date_trunc('month', found_at) AS date), village_id, {sign}count(*),
           {sign}count(*) FILTER (WHERE status IN {OPEN_STATUSES})
    FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (month, village_id) DO UPDATE SET
        found = t.found + excluded.found, found_open = t.found_open + excluded.found_open;"""


def _pg_triggers() -> list[str]:
    old, new = (', '.join(f'{alias}.{c}' for c in COUNTED) for alias in ('o', 'n'))
    function = f"""CREATE FUNCTION {NAME}_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM summary_pauses) THEN RETURN NULL; END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            SELECT FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE ({old}) IS DISTINCT FROM ({new})
        ) THEN RETURN NULL; END IF;
    END IF;
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK});
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {_pg_body('old_rows', '-')} END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN {_pg_body('new_rows', '')} END IF;
    RETURN NULL;
END $$"""
    run = f'FOR EACH STATEMENT EXECUTE FUNCTION {NAME}_summary()'
    return [
        function,
        f'CREATE TRIGGER {NAME}_insert AFTER INSERT ON hazards REFERENCING NEW TABLE AS new_rows {run}',
        f'CREATE TRIGGER {NAME}_update AFTER UPDATE ON hazards '
        f'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}',
        f'CREATE TRIGGER {NAME}_delete AFTER DELETE ON hazards REFERENCING OLD TABLE AS old_rows {run}',
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index('ix_hazards_map', table_name='hazards')
    op.create_table(NAME,
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('found_open', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'village_id', name=op.f(f'pk_{NAME}')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    month = "date(found_at, 'start of month')" if dialect == 'sqlite' else "CAST(date_trunc('month', found_at) AS date)"
    op.execute(f"""INSERT INTO {NAME} SELECT {month}, village_id, count(*),
        sum(CASE WHEN status IN {OPEN_STATUSES} THEN 1 ELSE 0 END) FROM hazards GROUP BY 1, 2""")
    for statement in _sqlite_triggers() if dialect == 'sqlite' else _pg_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for action in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS {NAME}_{action}' + ('' if dialect == 'sqlite' else ' ON hazards'))
    if dialect == 'postgresql':
        op.execute(f'DROP FUNCTION IF EXISTS {NAME}_summary()')
    op.drop_table(NAME)
    op.create_index('ix_hazards_map', 'hazards', ['level', 'deadline', 'id', 'found_at', 'status', 'lat', 'category'],
                    unique=False)
