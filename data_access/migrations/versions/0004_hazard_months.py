"""hazards per month (by category and level, and by village) and per day in all, kept by
triggers; the hazard map's per-level index goes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:50:12.204518

The whole area's hazard figures read a period's whole months from hazard_months and
hazard_village_months, and only the days around them from hazard_days or the records; with no
category chosen, the found and resolved totals and the weekly trend read hazard_day_totals
(see data_access/summaries.py for who keeps them). The map no longer reads hazards level by level
(it draws the open ones, and the closed ones only when they fit), so ix_hazards_map only cost
writes. A frozen copy: a migration never imports the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ADVISORY_LOCK = 720_260_003  # = 0003's: summary-keeping transactions take turns
OPEN_STATUSES = "('待处置', '整改中')"
# The columns these summaries count by: an update that changes none of them changes nothing here.
COUNTED = ('found_at', 'resolved_at', 'status', 'category', 'level', 'village_id')
TRIGGER = 'hazards_monthly'


def _create_tables() -> None:
    op.create_table('hazard_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('found_open', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'category', 'level', name=op.f('pk_hazard_months')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('hazard_day_totals',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_hazard_day_totals')),
    sqlite_with_rowid=False,
    )
    op.create_table('hazard_village_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('found_open', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'village_id', name=op.f('pk_hazard_village_months')),
    sqlite_with_rowid=False,
    )


# ---------------------------------------------------------------- triggers: SQLite (row by row)


def _sqlite_body(row: str, sign: str) -> str:
    month = "date({}, 'start of month')".format
    return f"""
    INSERT INTO hazard_months (month, category, level, found, found_open, resolved)
    VALUES ({month(f'{row}.found_at')}, {row}.category, {row}.level, {sign}1,
            {sign}({row}.status IN {OPEN_STATUSES}), 0)
    ON CONFLICT (month, category, level) DO UPDATE SET
        found = found + excluded.found, found_open = found_open + excluded.found_open;
    INSERT INTO hazard_months (month, category, level, found, found_open, resolved)
    SELECT {month(f'{row}.resolved_at')}, {row}.category, {row}.level, 0, 0, {sign}1
    WHERE {row}.resolved_at IS NOT NULL
    ON CONFLICT (month, category, level) DO UPDATE SET resolved = resolved + excluded.resolved;
    INSERT INTO hazard_day_totals (day, found, resolved) VALUES (date({row}.found_at), {sign}1, 0)
    ON CONFLICT (day) DO UPDATE SET found = found + excluded.found;
    INSERT INTO hazard_day_totals (day, found, resolved)
    SELECT date({row}.resolved_at), 0, {sign}1 WHERE {row}.resolved_at IS NOT NULL
    ON CONFLICT (day) DO UPDATE SET resolved = resolved + excluded.resolved;
    INSERT INTO hazard_village_months (month, village_id, found, found_open)
    VALUES ({month(f'{row}.found_at')}, {row}.village_id, {sign}1, {sign}({row}.status IN {OPEN_STATUSES}))
    ON CONFLICT (month, village_id) DO UPDATE SET
        found = found + excluded.found, found_open = found_open + excluded.found_open;"""


def _sqlite_triggers() -> list[str]:
    when = 'WHEN NOT EXISTS (SELECT 1 FROM summary_pauses)'
    return [
        f'CREATE TRIGGER {TRIGGER}_insert AFTER INSERT ON hazards {when} BEGIN {_sqlite_body("NEW", "")} END',
        f'CREATE TRIGGER {TRIGGER}_delete AFTER DELETE ON hazards {when} BEGIN {_sqlite_body("OLD", "-")} END',
        f'CREATE TRIGGER {TRIGGER}_update AFTER UPDATE OF {", ".join(COUNTED)} ON hazards {when} '
        f'BEGIN {_sqlite_body("OLD", "-")} {_sqlite_body("NEW", "")} END',
    ]


# ---------------------------------------------------------------- triggers: PostgreSQL (per statement)


def _pg_body(rows: str, sign: str) -> str:
    month = "CAST(date_trunc('month', {}) AS date)".format
    is_open = f'status IN {OPEN_STATUSES}'
    return f"""
    INSERT INTO hazard_months AS t (month, category, level, found, found_open, resolved)
    SELECT month, category, level, sum(f), sum(o), sum(r) FROM (
        SELECT {month('found_at')} AS month, category, level, {sign}1 AS f,
               CASE WHEN {is_open} THEN {sign}1 ELSE 0 END AS o, 0 AS r FROM {rows}
        UNION ALL SELECT {month('resolved_at')}, category, level, 0, 0, {sign}1 FROM {rows}
        WHERE resolved_at IS NOT NULL) AS x
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (month, category, level) DO UPDATE SET
        found = t.found + excluded.found, found_open = t.found_open + excluded.found_open,
        resolved = t.resolved + excluded.resolved;
    INSERT INTO hazard_day_totals AS t (day, found, resolved)
    SELECT day, sum(f), sum(r) FROM (
        SELECT CAST(found_at AS date) AS day, {sign}1 AS f, 0 AS r FROM {rows}
        UNION ALL SELECT CAST(resolved_at AS date), 0, {sign}1 FROM {rows} WHERE resolved_at IS NOT NULL) AS x
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET found = t.found + excluded.found, resolved = t.resolved + excluded.resolved;
    INSERT INTO hazard_village_months AS t (month, village_id, found, found_open)
    SELECT {month('found_at')}, village_id, {sign}count(*), {sign}count(*) FILTER (WHERE {is_open})
    FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (month, village_id) DO UPDATE SET
        found = t.found + excluded.found, found_open = t.found_open + excluded.found_open;"""


def _pg_triggers() -> list[str]:
    old, new = (', '.join(f'{alias}.{c}' for c in COUNTED) for alias in ('o', 'n'))
    function = f"""CREATE FUNCTION {TRIGGER}_summaries() RETURNS trigger LANGUAGE plpgsql AS $$
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
    run = f'FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_summaries()'
    return [
        function,
        f'CREATE TRIGGER {TRIGGER}_insert AFTER INSERT ON hazards REFERENCING NEW TABLE AS new_rows {run}',
        f'CREATE TRIGGER {TRIGGER}_update AFTER UPDATE ON hazards '
        f'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}',
        f'CREATE TRIGGER {TRIGGER}_delete AFTER DELETE ON hazards REFERENCING OLD TABLE AS old_rows {run}',
    ]


# ---------------------------------------------------------------- filling them from the records


def _fill(dialect: str) -> list[str]:
    if dialect == 'sqlite':
        day, month = 'date({})'.format, "date({}, 'start of month')".format
    else:
        day, month = 'CAST({} AS date)'.format, "CAST(date_trunc('month', {}) AS date)".format
    is_open = f'CASE WHEN status IN {OPEN_STATUSES} THEN 1 ELSE 0 END'
    return [
        f"""INSERT INTO hazard_months SELECT month, category, level, sum(found), sum(found_open), sum(resolved)
            FROM (SELECT {month('found_at')} AS month, category, level, 1 AS found, {is_open} AS found_open,
                         0 AS resolved FROM hazards
                  UNION ALL SELECT {month('resolved_at')}, category, level, 0, 0, 1 FROM hazards
                  WHERE resolved_at IS NOT NULL) AS x GROUP BY 1, 2, 3""",
        f"""INSERT INTO hazard_day_totals SELECT day, sum(found), sum(resolved)
            FROM (SELECT {day('found_at')} AS day, 1 AS found, 0 AS resolved FROM hazards
                  UNION ALL SELECT {day('resolved_at')}, 0, 1 FROM hazards WHERE resolved_at IS NOT NULL) AS x
            GROUP BY 1""",
        f"""INSERT INTO hazard_village_months SELECT {month('found_at')}, village_id, count(*), sum({is_open})
            FROM hazards GROUP BY 1, 2""",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index('ix_hazards_map', table_name='hazards')
    _create_tables()
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _sqlite_triggers() if dialect == 'sqlite' else _pg_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for action in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER IF EXISTS {TRIGGER}_{action}' + ('' if dialect == 'sqlite' else ' ON hazards'))
    if dialect == 'postgresql':
        op.execute(f'DROP FUNCTION IF EXISTS {TRIGGER}_summaries()')
    op.drop_table('hazard_village_months')
    op.drop_table('hazard_day_totals')
    op.drop_table('hazard_months')
    op.create_index('ix_hazards_map', 'hazards', ['level', 'deadline', 'id', 'found_at', 'status', 'lat', 'category'],
                    unique=False)
