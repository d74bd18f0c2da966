"""Key projects (重点工程大比拼作战图, seed 000): who answers for each, the villages it involves with
each village's responsible person, its milestones, and how it stands.

A project's next deadline is the earliest one it still has to meet on the reference day (the
period's last day, or today): its milestones not done by then and, until it is done, its own
完成期限. Its 三色 colour is the hazards' rule on that deadline: red when it has passed, yellow
when it is within rules.DUE_SOON_DAYS, green otherwise (and with no deadline); a done project
(已完成) has none. In the KPIs: done; overdue = red; on_track = the rest (green or yellow).

The filter's villages select the projects that involve any of them (with all their villages);
its period only sets the reference day: the war map shows the projects as they stand. Grids
and categories do not apply. Statements are built once per shape of filter and kept, their
values bound at execution.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
from sqlalchemy import Connection, Date, Integer, bindparam, case, func, literal, select, true, union_all

from . import rules
from .filters import VILLAGE_IDS, Filters, Shape, bound_values, resolve, shape_of
from .models import Project, ProjectMilestone, ProjectVillage, Village
from .sql import count_if, read_frame, to_dates

# The reference day, and the last day a deadline is 'due soon' (三色 yellow) on it.
REF, SOON = bindparam("ref", type_=Date), bindparam("soon", type_=Date)
PROJECT = bindparam("project", type_=Integer)
DONE = rules.project_done()


def _values(filters: Filters, today: dt.date) -> dict:
    ref = filters.period.reference_day(today)
    return bound_values(filters) | {"ref": ref, "soon": ref + dt.timedelta(days=rules.DUE_SOON_DAYS)}


def _next_deadlines():
    """project_id, next_deadline: the earliest deadline each project still has to meet."""
    milestone = ProjectMilestone
    pending = select(milestone.project_id, milestone.deadline).where(rules.milestone_pending(REF))
    own = select(Project.id, Project.deadline).where(~DONE & Project.deadline.is_not(None))
    deadlines = union_all(pending, own).subquery()
    return (
        select(deadlines.c.project_id, func.min(deadlines.c.deadline).label("next_deadline"))
        .group_by(deadlines.c.project_id)
        .subquery()
    )


def _colour(deadline, done=DONE):
    """三色 of a project (or a milestone) not done: red past `deadline`, yellow due soon, else green."""
    return case((done, literal(None)), (deadline < REF, "red"), (deadline <= SOON, "yellow"), else_="green")


def _in_place(shape: Shape):
    """The projects involving one of the filter's villages (all when none is chosen)."""
    if not shape.villages:
        return true()
    return Project.id.in_(select(ProjectVillage.project_id).where(ProjectVillage.village_id.in_(VILLAGE_IDS)))


def _projects(shape: Shape):
    """The filter's projects with their next deadline and colour (a FROM clause and its columns)."""
    following = _next_deadlines()
    columns = (
        Project.id, Project.source_id.label("project_id"), Project.name.label("project"), Project.leader,
        Project.unit, Project.status, Project.progress, Project.deadline, following.c.next_deadline,
        _colour(following.c.next_deadline).label("warning"),
    )  # fmt: skip
    return select(*columns).outerjoin(following, following.c.project_id == Project.id).where(_in_place(shape))


def kpis(conn: Connection, filters: Filters, today: dt.date) -> dict[str, int]:
    """total, on_track (not done, next deadline not passed), overdue (三色 red), done."""
    filters = resolve(conn, filters)
    row = conn.execute(_kpis_statement(shape_of(filters)), _values(filters, today)).one()
    return {k: int(v) for k, v in row._mapping.items()}


@functools.cache
def _kpis_statement(shape: Shape):
    projects = _projects(shape).subquery()
    return select(
        func.count().label("total"),
        count_if(projects.c.warning.in_(("green", "yellow"))).label("on_track"),
        count_if(projects.c.warning == "red").label("overdue"),
        count_if(projects.c.warning.is_(None)).label("done"),
    )


def board(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """The projects by progress, furthest first: id, project_id (项目编号), project, leader (in
    clear: mask with masking.mask_frame), unit, status, progress, deadline, next_deadline,
    days_left (to it from the reference day), warning (三色; None when done), villages (how
    many), milestones, milestones_done (by the reference day)."""
    filters = resolve(conn, filters)
    values = _values(filters, today)
    df = to_dates(read_frame(conn, _board_statement(shape_of(filters)), values), "deadline", "next_deadline")
    df["days_left"] = [None if pd.isna(d) else (d - values["ref"]).days for d in df["next_deadline"]]
    return df


@functools.cache
def _board_statement(shape: Shape):
    projects = _projects(shape).subquery()
    villages = (
        select(ProjectVillage.project_id, func.count().label("villages"))
        .group_by(ProjectVillage.project_id)
        .subquery()
    )
    milestones = (
        select(ProjectMilestone.project_id, func.count().label("milestones"),
               count_if(~rules.milestone_pending(REF)).label("milestones_done"))
        .group_by(ProjectMilestone.project_id)
        .subquery()
    )  # fmt: skip
    return (
        select(
            projects,
            func.coalesce(villages.c.villages, 0).label("villages"),
            func.coalesce(milestones.c.milestones, 0).label("milestones"),
            func.coalesce(milestones.c.milestones_done, 0).label("milestones_done"),
        )
        .outerjoin(villages, villages.c.project_id == projects.c.id)
        .outerjoin(milestones, milestones.c.project_id == projects.c.id)
        .order_by(projects.c.progress.desc().nulls_last(), projects.c.project)
    )


def war_map(conn: Connection, filters: Filters, today: dt.date) -> pd.DataFrame:
    """The war map (作战图): one row per project and village it involves, with the village's
    centre and the centre of all the project's villages (where the project itself is drawn):
    id, project_id, project, leader, status, progress, next_deadline, warning, village,
    responsible_person (the village's; people in clear: mask with masking.mask_frame), lat, lon,
    project_lat, project_lon. Villages without a centre are left out."""
    filters = resolve(conn, filters)
    frame = read_frame(conn, _war_map_statement(shape_of(filters)), _values(filters, today))
    return to_dates(frame, "next_deadline")


@functools.cache
def _war_map_statement(shape: Shape):
    projects = _projects(shape).subquery()
    per_project = {"partition_by": projects.c.id}
    return (
        select(
            projects.c.id, projects.c.project_id, projects.c.project, projects.c.leader, projects.c.status,
            projects.c.progress, projects.c.next_deadline, projects.c.warning, Village.name.label("village"),
            ProjectVillage.responsible_person, Village.center_lat.label("lat"),
            Village.center_lon.label("lon"),
            func.avg(Village.center_lat).over(**per_project).label("project_lat"),
            func.avg(Village.center_lon).over(**per_project).label("project_lon"),
        )
        .join(ProjectVillage, ProjectVillage.project_id == projects.c.id)
        .join(Village, Village.id == ProjectVillage.village_id)
        .where(Village.center_lat.is_not(None))
        .order_by(projects.c.project, Village.name)
    )  # fmt: skip


def of_village(conn: Connection, filters: Filters, today: dt.date, village: str) -> pd.DataFrame:
    """One village's projects, on the filter's reference day: id, project_id, project, leader,
    status, progress, next_deadline, warning, responsible_person (the village's); by project."""
    filters = resolve(conn, Filters(filters.period, villages=(village,)))
    frame = read_frame(conn, _village_statement(), _values(filters, today))
    return to_dates(frame, "next_deadline")


@functools.cache
def _village_statement():
    projects = _projects(Shape(villages=True, grids=False, categories=False)).subquery()
    return (
        select(
            projects.c.id, projects.c.project_id, projects.c.project, projects.c.leader, projects.c.status,
            projects.c.progress, projects.c.next_deadline, projects.c.warning,
            ProjectVillage.responsible_person,
        )
        .join(ProjectVillage, ProjectVillage.project_id == projects.c.id)
        .where(ProjectVillage.village_id.in_(VILLAGE_IDS))
        .order_by(projects.c.project)
    )  # fmt: skip


def milestones(conn: Connection, project: int, today: dt.date) -> pd.DataFrame:
    """One project's milestones (by its id), by deadline: milestone, deadline, done_at, warning
    (三色 of those not done by today), days_left (for those)."""
    values = {"project": project, "ref": today, "soon": today + dt.timedelta(days=rules.DUE_SOON_DAYS)}
    df = to_dates(read_frame(conn, _milestones_statement(), values), "deadline", "done_at")
    pending = df["warning"].notna()
    df["days_left"] = [(d - today).days if p else None for d, p in zip(df["deadline"], pending)]
    return df


@functools.cache
def _milestones_statement():
    return (
        select(
            ProjectMilestone.name.label("milestone"), ProjectMilestone.deadline, ProjectMilestone.done_at,
            _colour(ProjectMilestone.deadline, done=~rules.milestone_pending(REF)).label("warning"),
        )
        .where(ProjectMilestone.project_id == PROJECT)
        .order_by(ProjectMilestone.deadline, ProjectMilestone.id)
    )


def standing(conn: Connection, filters: Filters, today: dt.date) -> dict:
    """The filter's projects by 三色 on the reference day (red, yellow, green: the ones not
    done), and their mean progress in percent (None without a progress)."""
    filters = resolve(conn, filters)
    row = conn.execute(_standing_statement(shape_of(filters)), _values(filters, today)).one()
    counts = {colour: int(getattr(row, colour)) for colour in ("red", "yellow", "green")}
    return counts | {"progress": None if row.progress is None else round(float(row.progress), 1)}


@functools.cache
def _standing_statement(shape: Shape):
    projects = _projects(shape).subquery()
    return select(
        *(count_if(projects.c.warning == colour).label(colour) for colour in ("red", "yellow", "green")),
        func.avg(projects.c.progress).label("progress"),
    )
