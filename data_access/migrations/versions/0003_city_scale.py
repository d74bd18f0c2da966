"""city scale: indexes for the whole area's queries, summary tables kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:02:41.120385

The summary tables (see data_access/summaries.py) are filled here from the records already
in the database, and from then on kept by triggers in the same transaction as each write.
Everything below is a frozen copy: a migration never imports the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CELLS_PER_DEGREE = 200
TELECOM_FRAUD = '电信网络诈骗'
UNKNOWN_PROVINCE = '未知'
ADVISORY_LOCK = 720_260_003  # PostgreSQL: summary-keeping transactions take turns (no deadlocks)

INDEXES = (
    # table, name, columns, partial index condition (None: whole table)
    ('alerts', 'ix_alerts_received_at_category_lat_lon', ['received_at', 'category', 'lat', 'lon'], None),
    ('hazards', 'ix_hazards_found_at_category_level_status_village_id_grid_id',
     ['found_at', 'category', 'level', 'status', 'village_id', 'grid_id'], None),
    ('hazards', 'ix_hazards_resolved_at_category_village_id_grid_id',
     ['resolved_at', 'category', 'village_id', 'grid_id'], None),
    ('hazards', 'ix_hazards_map', ['level', 'deadline', 'id', 'found_at', 'status', 'lat', 'category'], None),
    ('hazards', 'ix_hazards_enterprise_shut', ['found_at', 'enterprise', 'category', 'village_id', 'grid_id'],
     {'sqlite': 'enterprise_shut IS 1', 'postgresql': 'enterprise_shut IS true'}),
    ('hazards', 'ix_hazards_grid_id', ['grid_id'], None),
    ('population_stays', 'ix_population_stays_left', ['left_at', 'arrived_at'], 'left_at IS NOT NULL'),
    ('population_stays', 'ix_population_stays_grid_id', ['grid_id'], None),
    ('population_stays', 'ix_population_stays_open_arrived_at', ['arrived_at', 'id', 'permit_expiry'],
     'left_at IS NULL'),
    ('population_stays', 'ix_population_stays_unverified', ['arrived_at', 'id', 'left_at', 'verified_at'],
     'verified_at IS NULL'),
    ('population_stays', 'ix_population_stays_open_permit', ['permit_expiry', 'arrived_at', 'left_at'],
     'left_at IS NULL'),
    ('population_stays', 'ix_population_stays_open_employer_left', ['arrived_at', 'id'],
     'employer_left_at IS NOT NULL AND left_at IS NULL'),
    ('grid_events', 'ix_grid_events_closed_at_reported_at', ['closed_at', 'reported_at'], None),
    ('grid_events', 'ix_grid_events_dispatched_at_reported_at', ['dispatched_at', 'reported_at'], None),
    ('grid_events', 'ix_grid_events_grid_id', ['grid_id'], None),
    # PostgreSQL indexes the expression (for its statistics); SQLite indexes the rows where it holds.
    ('grid_events', 'ix_grid_events_closed_late',
     {'postgresql': [sa.text('(closed_at > due_at)'), 'reported_at', 'id'], 'sqlite': ['reported_at', 'id']},
     {'postgresql': None, 'sqlite': 'closed_at > due_at'}),
)

SUMMARY_TABLES = (
    'hazard_days', 'alert_days', 'alert_hours', 'alert_cells', 'event_days', 'stay_days', 'stay_open_villages',
    'stay_open_provinces', 'stay_open_ages', 'stay_open_employers', 'stay_open_houses',
)


# The columns each summary counts by: an update that changes none of them changes no summary.
COUNTED = {
    'hazards': ('found_at', 'category', 'level', 'status', 'resolved_at'),
    'alerts': ('received_at', 'category', 'effective', 'became_case', 'civil_to_criminal', 'major_accident',
               'lat', 'lon'),
    'grid_events': ('reported_at', 'category', 'closed_at', 'due_at', 'dispatched_at'),
    'population_stays': ('arrived_at', 'left_at', 'village_id', 'origin_province', 'gender', 'birth_date',
                         'employer', 'employer_left_at', 'house_id'),
    'houses': ('capacity',),
}
OPEN_STATUSES = "('待处置', '整改中')"


def _create_tables() -> None:
    op.create_table('hazard_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('found_open', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', 'level', name=op.f('pk_hazard_days')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('alert_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('effective', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('civil_to_criminal', sa.Integer(), nullable=False),
    sa.Column('major_accident', sa.Integer(), nullable=False),
    sa.Column('telecom_fraud', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', name=op.f('pk_alert_days')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('alert_hours',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hour', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'hour', name=op.f('pk_alert_hours')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('alert_cells',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('cell_lat', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('cell_lon', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('lat_sum', sa.Float(), nullable=False),
    sa.Column('lon_sum', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'cell_lat', 'cell_lon', name=op.f('pk_alert_cells')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('event_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('dispatched', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', name=op.f('pk_event_days')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('arrivals', sa.Integer(), nullable=False),
    sa.Column('departures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_stay_days')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_open_villages',
    sa.Column('village_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_id', name=op.f('pk_stay_open_villages')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_open_provinces',
    sa.Column('province', sa.String(length=16), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province', name=op.f('pk_stay_open_provinces')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_open_ages',
    sa.Column('gender', sa.String(length=2), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gender', 'birth_date', name=op.f('pk_stay_open_ages')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_open_employers',
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('reported_left', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('employer', name=op.f('pk_stay_open_employers')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_table('stay_open_houses',
    sa.Column('house_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('house_id', name=op.f('pk_stay_open_houses')),
    sqlite_with_rowid=False,  # rows stored in key order
    )
    op.create_index('ix_stay_open_houses_residents', 'stay_open_houses', ['residents'])
    op.create_index('ix_stay_open_houses_overcrowded', 'stay_open_houses', ['house_id'],
                    sqlite_where=sa.text('residents > capacity'), postgresql_where=sa.text('residents > capacity'))
    op.create_table('summary_pauses',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_pauses'))
    )


# ---------------------------------------------------------------- triggers: SQLite
# Row triggers: each written row adds (NEW) or subtracts (OLD) its share. The WHEN clause lets
# a transaction that holds a summary_pauses row write without them.

_SQLITE_NOT_PAUSED = 'WHEN NOT EXISTS (SELECT 1 FROM summary_pauses)'


def _sqlite_hazards(row: str, sign: str) -> str:
    return f"""
    INSERT INTO hazard_days (day, category, level, found, found_open, resolved)
    VALUES (date({row}.found_at), {row}.category, {row}.level, {sign}1, {sign}({row}.status IN {OPEN_STATUSES}), 0)
    ON CONFLICT (day, category, level) DO UPDATE SET
        found = found + excluded.found, found_open = found_open + excluded.found_open;
    INSERT INTO hazard_days (day, category, level, found, found_open, resolved)
    SELECT date({row}.resolved_at), {row}.category, {row}.level, 0, 0, {sign}1 WHERE {row}.resolved_at IS NOT NULL
    ON CONFLICT (day, category, level) DO UPDATE SET resolved = resolved + excluded.resolved;"""


def _sqlite_alerts(row: str, sign: str) -> str:
    return f"""
    INSERT INTO alert_days (day, category, alerts, effective, cases, civil_to_criminal, major_accident,
                            telecom_fraud)
    VALUES (date({row}.received_at), {row}.category, {sign}1, {sign}({row}.effective IS 1),
            {sign}({row}.became_case IS 1), {sign}({row}.civil_to_criminal IS 1),
            {sign}({row}.major_accident IS 1), {sign}({row}.category = '{TELECOM_FRAUD}' AND {row}.became_case IS 1))
    ON CONFLICT (day, category) DO UPDATE SET
        alerts = alerts + excluded.alerts, effective = effective + excluded.effective,
        cases = cases + excluded.cases, civil_to_criminal = civil_to_criminal + excluded.civil_to_criminal,
        major_accident = major_accident + excluded.major_accident,
        telecom_fraud = telecom_fraud + excluded.telecom_fraud;
    INSERT INTO alert_hours (day, hour, alerts)
    VALUES (date({row}.received_at), CAST(strftime('%H', {row}.received_at) AS INTEGER), {sign}1)
    ON CONFLICT (day, hour) DO UPDATE SET alerts = alerts + excluded.alerts;
    INSERT INTO alert_cells (month, cell_lat, cell_lon, alerts, lat_sum, lon_sum)
    SELECT date({row}.received_at, 'start of month'), CAST({row}.lat * {CELLS_PER_DEGREE} AS INTEGER),
           CAST({row}.lon * {CELLS_PER_DEGREE} AS INTEGER), {sign}1, {sign}{row}.lat, {sign}{row}.lon
    WHERE {row}.lat IS NOT NULL AND {row}.lon IS NOT NULL
    ON CONFLICT (month, cell_lat, cell_lon) DO UPDATE SET
        alerts = alerts + excluded.alerts, lat_sum = lat_sum + excluded.lat_sum,
        lon_sum = lon_sum + excluded.lon_sum;"""


def _sqlite_events(row: str, sign: str) -> str:
    closed = f'{row}.closed_at IS NOT NULL'
    return f"""
    INSERT INTO event_days (day, category, new, closed, on_time, dispatched)
    VALUES (date({row}.reported_at), {row}.category, {sign}1, {sign}({closed}),
            {sign}({closed} AND ({row}.due_at IS NULL OR {row}.closed_at <= {row}.due_at)),
            {sign}({row}.dispatched_at IS NOT NULL))
    ON CONFLICT (day, category) DO UPDATE SET
        new = new + excluded.new, closed = closed + excluded.closed,
        on_time = on_time + excluded.on_time, dispatched = dispatched + excluded.dispatched;"""


def _sqlite_stays(row: str, sign: str) -> str:
    is_open = f'{row}.left_at IS NULL'
    return f"""
    INSERT INTO stay_days (day, arrivals, departures) VALUES ({row}.arrived_at, {sign}1, 0)
    ON CONFLICT (day) DO UPDATE SET arrivals = arrivals + excluded.arrivals;
    INSERT INTO stay_days (day, arrivals, departures) SELECT {row}.left_at, 0, {sign}1
    WHERE {row}.left_at IS NOT NULL
    ON CONFLICT (day) DO UPDATE SET departures = departures + excluded.departures;
    INSERT INTO stay_open_villages (village_id, residents) SELECT {row}.village_id, {sign}1 WHERE {is_open}
    ON CONFLICT (village_id) DO UPDATE SET residents = residents + excluded.residents;
    INSERT INTO stay_open_provinces (province, residents)
    SELECT coalesce({row}.origin_province, '{UNKNOWN_PROVINCE}'), {sign}1 WHERE {is_open}
    ON CONFLICT (province) DO UPDATE SET residents = residents + excluded.residents;
    INSERT INTO stay_open_ages (gender, birth_date, residents)
    SELECT {row}.gender, {row}.birth_date, {sign}1 WHERE {is_open}
    ON CONFLICT (gender, birth_date) DO UPDATE SET residents = residents + excluded.residents;
    INSERT INTO stay_open_employers (employer, residents, reported_left)
    SELECT {row}.employer, {sign}1, {sign}({row}.employer_left_at IS NOT NULL)
    WHERE {is_open} AND {row}.employer IS NOT NULL
    ON CONFLICT (employer) DO UPDATE SET
        residents = residents + excluded.residents, reported_left = reported_left + excluded.reported_left;
    INSERT INTO stay_open_houses (house_id, residents, capacity)
    SELECT {row}.house_id, {sign}1, (SELECT capacity FROM houses WHERE id = {row}.house_id)
    WHERE {is_open} AND {row}.house_id IS NOT NULL
    ON CONFLICT (house_id) DO UPDATE SET residents = residents + excluded.residents;"""


_SQLITE_BODIES = {'hazards': _sqlite_hazards, 'alerts': _sqlite_alerts, 'grid_events': _sqlite_events,
                  'population_stays': _sqlite_stays}


def _sqlite_triggers() -> list[str]:
    # Built from the constant fragments above (table and column names, never values).
    out = []
    for table, body in _SQLITE_BODIES.items():
        out.append(f'CREATE TRIGGER {table}_summaries_insert AFTER INSERT ON {table} {_SQLITE_NOT_PAUSED} '
                   f'BEGIN {body("NEW", "")} END')
        out.append(f'CREATE TRIGGER {table}_summaries_delete AFTER DELETE ON {table} {_SQLITE_NOT_PAUSED} '
                   f'BEGIN {body("OLD", "-")} END')
        out.append(f'CREATE TRIGGER {table}_summaries_update AFTER UPDATE OF {", ".join(COUNTED[table])} '
                   f'ON {table} {_SQLITE_NOT_PAUSED} BEGIN {body("OLD", "-")} {body("NEW", "")} END')
    out.append(f"""CREATE TRIGGER houses_summaries_update AFTER UPDATE OF capacity ON houses {_SQLITE_NOT_PAUSED}
    BEGIN UPDATE stay_open_houses SET capacity = NEW.capacity WHERE house_id = NEW.id; END""")
    return out


# ---------------------------------------------------------------- triggers: PostgreSQL
# Statement triggers with transition tables: one grouped upsert per summary and statement.


def _n(condition: str, sign: str) -> str:
    return f'{sign}count(*) FILTER (WHERE {condition})'


def _pg_hazards(rows: str, sign: str) -> str:
    return f"""
    INSERT INTO hazard_days AS t (day, category, level, found, found_open, resolved)
    SELECT day, category, level, sum(f), sum(o), sum(r) FROM (
        SELECT CAST(found_at AS date) AS day, category, level, {sign}1 AS f,
               CASE WHEN status IN {OPEN_STATUSES} THEN {sign}1 ELSE 0 END AS o, 0 AS r FROM {rows}
        UNION ALL SELECT CAST(resolved_at AS date), category, level, 0, 0, {sign}1 FROM {rows}
        WHERE resolved_at IS NOT NULL) AS x
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, category, level) DO UPDATE SET
        found = t.found + excluded.found, found_open = t.found_open + excluded.found_open,
        resolved = t.resolved + excluded.resolved;"""


def _pg_alerts(rows: str, sign: str) -> str:
    return f"""
    INSERT INTO alert_days AS t (day, category, alerts, effective, cases, civil_to_criminal, major_accident,
                                 telecom_fraud)
    SELECT CAST(received_at AS date), category, {sign}count(*), {_n('effective', sign)},
           {_n('became_case', sign)}, {_n('civil_to_criminal', sign)}, {_n('major_accident', sign)},
           {_n(f"category = '{TELECOM_FRAUD}' AND became_case", sign)}
    FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, category) DO UPDATE SET
        alerts = t.alerts + excluded.alerts, effective = t.effective + excluded.effective,
        cases = t.cases + excluded.cases, civil_to_criminal = t.civil_to_criminal + excluded.civil_to_criminal,
        major_accident = t.major_accident + excluded.major_accident,
        telecom_fraud = t.telecom_fraud + excluded.telecom_fraud;
    INSERT INTO alert_hours AS t (day, hour, alerts)
    SELECT CAST(received_at AS date), CAST(extract(hour FROM received_at) AS integer), {sign}count(*)
    FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, hour) DO UPDATE SET alerts = t.alerts + excluded.alerts;
    INSERT INTO alert_cells AS t (month, cell_lat, cell_lon, alerts, lat_sum, lon_sum)
    SELECT CAST(date_trunc('month', received_at) AS date), CAST(lat * {CELLS_PER_DEGREE} AS integer),
           CAST(lon * {CELLS_PER_DEGREE} AS integer), {sign}count(*), {sign}sum(lat), {sign}sum(lon)
    FROM {rows} WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (month, cell_lat, cell_lon) DO UPDATE SET
        alerts = t.alerts + excluded.alerts, lat_sum = t.lat_sum + excluded.lat_sum,
        lon_sum = t.lon_sum + excluded.lon_sum;"""


def _pg_events(rows: str, sign: str) -> str:
    return f"""
    INSERT INTO event_days AS t (day, category, new, closed, on_time, dispatched)
    SELECT CAST(reported_at AS date), category, {sign}count(*), {_n('closed_at IS NOT NULL', sign)},
           {_n('closed_at IS NOT NULL AND (due_at IS NULL OR closed_at <= due_at)', sign)},
           {_n('dispatched_at IS NOT NULL', sign)}
    FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, category) DO UPDATE SET
        new = t.new + excluded.new, closed = t.closed + excluded.closed,
        on_time = t.on_time + excluded.on_time, dispatched = t.dispatched + excluded.dispatched;"""


def _pg_stays(rows: str, sign: str) -> str:
    return f"""
    INSERT INTO stay_days AS t (day, arrivals, departures)
    SELECT day, sum(arrivals), sum(departures) FROM (
        SELECT arrived_at AS day, {sign}1 AS arrivals, 0 AS departures FROM {rows}
        UNION ALL SELECT left_at, 0, {sign}1 FROM {rows} WHERE left_at IS NOT NULL) AS moves
    GROUP BY day ORDER BY day
    ON CONFLICT (day) DO UPDATE SET
        arrivals = t.arrivals + excluded.arrivals, departures = t.departures + excluded.departures;
    INSERT INTO stay_open_villages AS t (village_id, residents)
    SELECT village_id, {sign}count(*) FROM {rows} WHERE left_at IS NULL GROUP BY 1 ORDER BY 1
    ON CONFLICT (village_id) DO UPDATE SET residents = t.residents + excluded.residents;
    INSERT INTO stay_open_provinces AS t (province, residents)
    SELECT coalesce(origin_province, '{UNKNOWN_PROVINCE}'), {sign}count(*) FROM {rows} WHERE left_at IS NULL
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (province) DO UPDATE SET residents = t.residents + excluded.residents;
    INSERT INTO stay_open_ages AS t (gender, birth_date, residents)
    SELECT gender, birth_date, {sign}count(*) FROM {rows} WHERE left_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (gender, birth_date) DO UPDATE SET residents = t.residents + excluded.residents;
    INSERT INTO stay_open_employers AS t (employer, residents, reported_left)
    SELECT employer, {sign}count(*), {_n('employer_left_at IS NOT NULL', sign)} FROM {rows}
    WHERE left_at IS NULL AND employer IS NOT NULL GROUP BY 1 ORDER BY 1
    ON CONFLICT (employer) DO UPDATE SET
        residents = t.residents + excluded.residents, reported_left = t.reported_left + excluded.reported_left;
    INSERT INTO stay_open_houses AS t (house_id, residents, capacity)
    SELECT house_id, {sign}count(*), max(h.capacity) FROM {rows} JOIN houses AS h ON h.id = house_id
    WHERE left_at IS NULL GROUP BY 1 ORDER BY 1
    ON CONFLICT (house_id) DO UPDATE SET residents = t.residents + excluded.residents;"""


_PG_BODIES = {'hazards': _pg_hazards, 'alerts': _pg_alerts, 'grid_events': _pg_events,
              'population_stays': _pg_stays}


def _pg_function(table: str, body: str) -> str:
    columns = COUNTED[table]
    old, new = (', '.join(f'{alias}.{c}' for c in columns) for alias in ('o', 'n'))
    # An update that changes no counted column (a version bump, a note) does nothing, and so
    # takes no lock: each table's id is its key.
    return f"""CREATE FUNCTION {table}_summaries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM summary_pauses) THEN RETURN NULL; END IF;
    IF TG_OP = 'UPDATE' THEN  -- nested: an INSERT or DELETE trigger has only one of the two tables
        IF NOT EXISTS (
            SELECT FROM old_rows AS o JOIN new_rows AS n ON n.id = o.id WHERE ({old}) IS DISTINCT FROM ({new})
        ) THEN RETURN NULL; END IF;
    END IF;
    PERFORM pg_advisory_xact_lock({ADVISORY_LOCK});
    {body}
    RETURN NULL;
END $$"""


def _pg_triggers() -> list[str]:
    out = []
    for table, body in _PG_BODIES.items():
        steps = (f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {body('old_rows', '-')} END IF;\n"
                 f"    IF TG_OP IN ('UPDATE', 'INSERT') THEN {body('new_rows', '')} END IF;")
        out.append(_pg_function(table, steps))
        out.append(f'CREATE TRIGGER {table}_summaries_insert AFTER INSERT ON {table} '
                   f'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_summaries()')
        out.append(f'CREATE TRIGGER {table}_summaries_update AFTER UPDATE ON {table} '
                   f'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   f'FOR EACH STATEMENT EXECUTE FUNCTION {table}_summaries()')
        out.append(f'CREATE TRIGGER {table}_summaries_delete AFTER DELETE ON {table} '
                   f'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_summaries()')
    out.append(_pg_function('houses', """UPDATE stay_open_houses AS s SET capacity = n.capacity
    FROM new_rows AS n WHERE s.house_id = n.id AND s.capacity IS DISTINCT FROM n.capacity;"""))
    out.append('CREATE TRIGGER houses_summaries_update AFTER UPDATE ON houses REFERENCING OLD TABLE AS old_rows '
               'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION houses_summaries()')
    return out


# ---------------------------------------------------------------- filling them from the records


def _fill(dialect: str) -> list[str]:
    if dialect == 'sqlite':
        day, month, hour = 'date({})', "date({}, 'start of month')", "CAST(strftime('%H', {}) AS INTEGER)"
        n = 'coalesce(sum(CASE WHEN {} THEN 1 ELSE 0 END), 0)'
        true = ' IS 1'
    else:
        day, month, hour = 'CAST({} AS date)', "CAST(date_trunc('month', {}) AS date)", \
            'CAST(extract(hour FROM {}) AS integer)'
        n = 'count(*) FILTER (WHERE {})'
        true = ''
    received, reported = day.format('received_at'), day.format('reported_at')
    closed = 'closed_at IS NOT NULL'
    return [
        f"""INSERT INTO hazard_days SELECT day, category, level, sum(found), sum(found_open), sum(resolved) FROM (
            SELECT {day.format('found_at')} AS day, category, level, 1 AS found,
                   CASE WHEN status IN {OPEN_STATUSES} THEN 1 ELSE 0 END AS found_open, 0 AS resolved FROM hazards
            UNION ALL SELECT {day.format('resolved_at')}, category, level, 0, 0, 1 FROM hazards
            WHERE resolved_at IS NOT NULL) AS x GROUP BY 1, 2, 3""",
        f"""INSERT INTO alert_days SELECT {received}, category, count(*), {n.format('effective' + true)},
            {n.format('became_case' + true)}, {n.format('civil_to_criminal' + true)},
            {n.format('major_accident' + true)},
            {n.format(f"category = '{TELECOM_FRAUD}' AND became_case" + true)}
            FROM alerts GROUP BY 1, 2""",
        f"""INSERT INTO alert_hours SELECT {received}, {hour.format('received_at')}, count(*)
            FROM alerts GROUP BY 1, 2""",
        f"""INSERT INTO alert_cells SELECT {month.format('received_at')},
            CAST(lat * {CELLS_PER_DEGREE} AS INTEGER), CAST(lon * {CELLS_PER_DEGREE} AS INTEGER),
            count(*), sum(lat), sum(lon) FROM alerts WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1, 2, 3""",
        f"""INSERT INTO event_days SELECT {reported}, category, count(*), {n.format(closed)},
            {n.format(f'{closed} AND (due_at IS NULL OR closed_at <= due_at)')},
            {n.format('dispatched_at IS NOT NULL')} FROM grid_events GROUP BY 1, 2""",
        """INSERT INTO stay_days SELECT day, sum(arrivals), sum(departures) FROM (
            SELECT arrived_at AS day, 1 AS arrivals, 0 AS departures FROM population_stays
            UNION ALL SELECT left_at, 0, 1 FROM population_stays WHERE left_at IS NOT NULL) AS moves
            GROUP BY day""",
        """INSERT INTO stay_open_villages SELECT village_id, count(*) FROM population_stays
            WHERE left_at IS NULL GROUP BY 1""",
        f"""INSERT INTO stay_open_provinces SELECT coalesce(origin_province, '{UNKNOWN_PROVINCE}'), count(*)
            FROM population_stays WHERE left_at IS NULL GROUP BY 1""",
        """INSERT INTO stay_open_ages SELECT gender, birth_date, count(*) FROM population_stays
            WHERE left_at IS NULL GROUP BY 1, 2""",
        f"""INSERT INTO stay_open_employers SELECT employer, count(*), {n.format('employer_left_at IS NOT NULL')}
            FROM population_stays WHERE left_at IS NULL AND employer IS NOT NULL GROUP BY 1""",
        """INSERT INTO stay_open_houses SELECT s.house_id, count(*), max(h.capacity)
            FROM population_stays AS s JOIN houses AS h ON h.id = s.house_id
            WHERE s.left_at IS NULL GROUP BY 1""",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Replaced below by indexes that also hold the columns their queries read.
    op.drop_index('ix_hazards_resolved_at', table_name='hazards')
    op.drop_index('ix_alerts_received_at', table_name='alerts')
    for table, name, columns, where in INDEXES:
        if isinstance(where, dict):  # SQLite and PostgreSQL differ (booleans, expression indexes)
            where = where[dialect]
        if isinstance(columns, dict):
            columns = columns[dialect]
        condition = {} if where is None else {'sqlite_where': sa.text(where), 'postgresql_where': sa.text(where)}
        op.create_index(name, table, columns, unique=False, **condition)
    _create_tables()
    if dialect == 'postgresql':
        op.execute('SET LOCAL statement_timeout = 0')  # filling reads every record once
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _sqlite_triggers() if dialect == 'sqlite' else _pg_triggers():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in ('hazards', 'alerts', 'grid_events', 'population_stays'):
        for action in ('insert', 'update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_summaries_{action}'
                       + ('' if dialect == 'sqlite' else f' ON {table}'))
        if dialect == 'postgresql':
            op.execute(f'DROP FUNCTION IF EXISTS {table}_summaries()')
    op.execute('DROP TRIGGER IF EXISTS houses_summaries_update' + ('' if dialect == 'sqlite' else ' ON houses'))
    if dialect == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS houses_summaries()')
    op.drop_index('ix_stay_open_houses_overcrowded', table_name='stay_open_houses')
    op.drop_index('ix_stay_open_houses_residents', table_name='stay_open_houses')
    for table in (*SUMMARY_TABLES, 'summary_pauses'):
        op.drop_table(table)
    for table, name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.create_index('ix_hazards_resolved_at', 'hazards', ['resolved_at'], unique=False)
    op.create_index('ix_alerts_received_at', 'alerts', ['received_at'], unique=False)
