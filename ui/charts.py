"""Chart builders: a DataFrame and translated labels in, an Altair chart out.

Every text is passed in by the caller (Chinese or English), no font is set (the browser's own
CJK font is used; nothing is fetched from the web), and an empty DataFrame gives an empty chart
rather than an error. The charts come back configured for a page (fonts, title), so they are
final: pass them to st.altair_chart, do not layer them; `for_wall` restyles one for the wall screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from data_access.population import AGE_BANDS
from ui import palette

DEFAULT_HEIGHT = 240
BAR_STEP = 22  # pixels per bar when a bar chart's height follows its rows
DATE_FORMAT = "%m-%d"
HOURS = range(24)
WEEKDAYS = range(7)  # 0 = Monday, as data_access.sql.weekday_of
MALE, FEMALE = "男", "女"
# Lines stop at a bucket whose rate is undefined (null) instead of joining its neighbours.
BREAK_AT_NULL = "break-paths-filter-domains"
# Vega-Lite keys a tooltip's rows by their titles, so two untitled rows need different keys.
ROW_KEY, DETAIL_KEY = "", " "
DAY_TOOLTIP_FORMAT = "%Y-%m-%d"
# The wall screen is dark: its charts get light text on a transparent background.
WALL_TEXT, WALL_GRID = "#e6edf5", "#2b3a52"


@dataclass(frozen=True)
class FontSizes:
    label: int
    axis_title: int
    title: int
    legend: int
    mark_text: int
    label_limit: int


NORMAL_FONTS = FontSizes(label=12, axis_title=13, title=16, legend=12, mark_text=12, label_limit=180)
# The wall screen's at 1080p: every text 20 px or more, read from 5 m.
WALL_FONTS = FontSizes(label=20, axis_title=20, title=28, legend=20, mark_text=20, label_limit=320)
# A legend above a chart wraps after this many entries (Vega-Lite lays them out in one row
# otherwise, past the chart's right edge when there are many: nine alert categories).
LEGEND_COLUMNS = 4


def _finish(chart: alt.TopLevelMixin, title: str, height: int | alt.Step) -> alt.TopLevelMixin:
    """Title, height, and the page's type."""
    if title:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start"))
    return _styled(chart.properties(height=height), NORMAL_FONTS, dark=False)


def _styled(chart: alt.TopLevelMixin, sizes: FontSizes, *, dark: bool) -> alt.TopLevelMixin:
    """Font sizes (axes, legend, title, the values written on bars), and light text on a transparent
    background when `dark`. Each configure_* replaces the one before, so a chart can be restyled."""
    colours = {"labelColor": WALL_TEXT, "titleColor": WALL_TEXT} if dark else {}
    lines = {"gridColor": WALL_GRID, "domainColor": WALL_GRID} if dark else {}
    chart = _configured(
        chart,
        axis=alt.AxisConfig(labelFontSize=sizes.label, titleFontSize=sizes.axis_title,
                            labelLimit=sizes.label_limit, **colours, **lines),
        legend=alt.LegendConfig(
            labelFontSize=sizes.legend, titleFontSize=sizes.legend, labelLimit=sizes.label_limit,
            orient="top", columns=LEGEND_COLUMNS, **colours,
            **(_big_legend_marks(sizes) if dark else {}),
        ),
        # The first and last labels inside the chart; of labels that would overlap, every other,
        # with room to spare: Vega measures text in its own default face, the page draws it in its own.
        axisX=alt.AxisConfig(labelFlush=True, labelOverlap="greedy", labelSeparation=sizes.label // 2),
        title=alt.TitleConfig(fontSize=sizes.title, **({"color": WALL_TEXT} if dark else {})),
        text=alt.MarkConfig(fontSize=sizes.mark_text, **({"color": WALL_TEXT} if dark else {})),
        view=alt.ViewConfig(stroke=None),
    )
    return chart.properties(background="transparent") if dark else chart


def _configured(chart: alt.TopLevelMixin, **sections) -> alt.TopLevelMixin:
    """`chart` with its config's `sections` replaced, as chart.configure_axis(...).configure_legend(...)
    … would set them, in one copy: each configure_* makes a new chart, and a layered one combines
    its layers' data and parameters again every time (six times per chart: a fifth of building a
    chart the first time a view shows new data)."""
    chart = chart.copy(deep=["config"])
    if chart.config is alt.Undefined:
        chart.config = alt.Config()
    for name, section in sections.items():
        chart.config[name] = section
    return chart


def wall_fonts(unit_px: float) -> FontSizes:
    """WALL_FONTS for a wall whose unit (root font size) is `unit_px`: 20 px at 1080p."""
    scale = unit_px / 20
    return FontSizes(**{name: round(size * scale) for name, size in vars(WALL_FONTS).items()})


def _big_legend_marks(sizes: FontSizes) -> dict:
    """A legend's symbols and colour ramp in proportion to its text (Vega's are sized for 11 px)."""
    return {"symbolSize": round((0.7 * sizes.legend) ** 2), "gradientLength": 10 * sizes.legend,
            "gradientThickness": round(0.8 * sizes.legend)}


def for_wall(chart: alt.TopLevelMixin, fonts: FontSizes = WALL_FONTS, title: str = "") -> alt.TopLevelMixin:
    """A built chart restyled for the dark wall screen: `fonts`, light text, transparent background,
    and `title` when it has none of its own (a page may write it above its controls instead).
    Its height is the wall's to give (st.altair_chart's height replaces the chart's own)."""
    if title and not chart.to_dict().get("title"):
        chart = chart.properties(title=alt.TitleParams(title, anchor="start"))
    # Room on the right for a date label centred on a tick just before the axis ends: Vega
    # draws it past the chart's edge otherwise, and on the wall nothing may stick out.
    margin = {"left": 5, "top": 5, "bottom": 5, "right": 2 * fonts.label}
    return _styled(chart, fonts, dark=True).properties(padding=margin)


def _with_columns(df: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame:
    """A copy of `df` with every column in `columns` (missing ones added empty)."""
    out = pd.DataFrame() if df is None else df.copy()
    for column in columns:
        if column not in out.columns:
            out[column] = pd.Series(dtype="float64")
    return out


def _long(frame: pd.DataFrame, x: str, series: Mapping[str, str]) -> pd.DataFrame:
    """One row per bucket and series: x, series (its label), amount."""
    parts = [
        pd.DataFrame({x: frame[x], "series": label, "amount": frame[column]})
        for column, label in series.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[x, "series", "amount"])


def _as_dates(df: pd.DataFrame, column: str) -> pd.DataFrame:
    # data_access returns datetime.date objects, which Vega cannot read; datetimes become ISO text.
    return df.assign(**{column: pd.to_datetime(df[column])})


def _date_x(x: str, date_format: str) -> alt.X:
    """A bucket axis for bars: one band per day, labelled with `date_format`."""
    return alt.X(
        f"yearmonthdate({x}):O",
        title=None,
        axis=alt.Axis(format=date_format, formatType="time", labelAngle=0),
    )


def _count_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title or None, tickMinStep=1)


def _detail(label_field: str, value_field: str, value_format: str = ",", suffix: str = "") -> str:
    """A Vega expression 'label: value' for a tooltip row ('—' when the value is null)."""
    return (
        f"datum.{label_field} + ': ' + "
        f"(isValid(datum.{value_field}) ? format(datum.{value_field}, '{value_format}') + '{suffix}' : '—')"
    )


def _day_tooltip(x: str, detail_field: str) -> list[alt.Tooltip]:
    """Two untitled tooltip rows: the day, then 'series: value'."""
    return [
        alt.Tooltip(f"{x}:T", format=DAY_TOOLTIP_FORMAT, title=ROW_KEY),
        alt.Tooltip(f"{detail_field}:N", title=DETAIL_KEY),
    ]


def trend_lines(
    df: pd.DataFrame,
    x: str = "bucket",
    series: Mapping[str, str] | None = None,
    title: str = "",
    *,
    y_title: str = "",
    area: bool = False,
    colours: Sequence[str] | None = None,
    date_format: str = DATE_FORMAT,
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """Counts over time, one line (or unstacked area) per column of `series` (column → label);
    a legend only when there is more than one."""
    series = dict(series or {})
    frame = _as_dates(_with_columns(df, [x, *series]), x)
    long = _long(frame, x, series)
    colour = alt.Color(
        "series:N",
        title=None,
        legend=alt.Legend() if len(series) > 1 else None,
        scale=alt.Scale(domain=list(series.values()), range=list(colours))
        if colours
        else alt.Scale(domain=list(series.values())),
    )
    mark = (
        alt.Chart(long).mark_area(opacity=0.3, line=True, point=True)
        if area
        else alt.Chart(long).mark_line(point=True)
    )
    chart = mark.transform_calculate(detail=_detail("series", "amount")).encode(
        x=alt.X(f"{x}:T", title=None, axis=alt.Axis(format=date_format)),
        y=alt.Y("amount:Q", stack=None, axis=_count_axis(y_title)),
        color=colour,
        tooltip=_day_tooltip(x, "detail"),
    )
    return _finish(chart, title, height)


def stacked_by_category(
    df: pd.DataFrame,
    title: str,
    value_label: str,
    *,
    x: str = "bucket",
    category: str = "category",
    value: str = "value",
    colour_map: Mapping[str, str] | None = None,
    date_format: str = DATE_FORMAT,
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """Bars per bucket, stacked by category: df[bucket, category, value] (column names adjustable)."""
    frame = _as_dates(_with_columns(df, [x, category, value]), x)
    frame = frame.groupby([x, category], as_index=False, dropna=True)[value].sum()
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .transform_calculate(detail=_detail(category, value))
        .encode(
            x=_date_x(x, date_format),
            y=alt.Y(f"{value}:Q", axis=_count_axis(value_label)),
            color=alt.Color(f"{category}:N", title=None, scale=_category_scale(frame[category], colour_map)),
            tooltip=_day_tooltip(x, "detail"),
        )
    )
    return _finish(chart, title, height)


def _category_scale(values: pd.Series, colour_map: Mapping[str, str] | None) -> alt.Scale:
    """Colours from `colour_map` where given, grey for other categories, Vega's defaults without a map."""
    if not colour_map:
        return alt.Scale(scheme="tableau10")
    domain = list(dict.fromkeys([*colour_map, *values.dropna().astype(str)]))
    return alt.Scale(domain=domain, range=[colour_map.get(c, palette.UNKNOWN_COLOUR) for c in domain])


def heat_grid(
    df: pd.DataFrame,
    weekday_labels: Sequence[str],
    title: str = "",
    *,
    value: str = "alerts",
    value_label: str = "",
    hour_label: str = "",
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """A 24 × 7 grid of counts per hour and weekday: df[hour, weekday (0 = Monday), alerts]."""
    if len(weekday_labels) != len(WEEKDAYS):
        raise ValueError("weekday_labels needs 7 labels, Monday first")
    grid = pd.MultiIndex.from_product([HOURS, WEEKDAYS], names=["hour", "weekday"]).to_frame(index=False)
    counts = _with_columns(df, ["hour", "weekday", value])[["hour", "weekday", value]].dropna(
        subset=["hour", "weekday"]
    )
    counts = (
        counts.astype({"hour": "int64", "weekday": "int64"})
        .groupby(["hour", "weekday"], as_index=False)[value]
        .sum()
    )
    full = grid.merge(counts, on=["hour", "weekday"], how="left").fillna({value: 0})
    full["day"] = full["weekday"].map(dict(zip(WEEKDAYS, weekday_labels, strict=True)))
    full["when"] = full["day"] + " " + full["hour"].map("{:02d}:00".format)
    chart = (
        alt.Chart(full)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("hour:O", title=hour_label or None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("day:O", title=None, sort=list(weekday_labels), axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                f"{value}:Q",
                title=value_label or None,
                scale=alt.Scale(range=list(palette.SEQUENTIAL), zero=True),
                legend=alt.Legend(orient="right"),  # its rows get the height a ramp on top would take
            ),
            tooltip=[
                alt.Tooltip("when:N", title=ROW_KEY),
                alt.Tooltip(f"{value}:Q", title=value_label or DETAIL_KEY),
            ],
        )
    )
    return _finish(chart, title, height)


def bar_counts(
    df: pd.DataFrame,
    category_col: str,
    value_col: str,
    title: str = "",
    colour_map: Mapping[str, str] | None = None,
    sort: str | Sequence[str] = "-x",
    *,
    value_label: str = "",
    category_label: str = "",
    height: int | None = None,
) -> alt.TopLevelMixin:
    """Horizontal bars with their value written at the end: categories, provinces, villages, levels.

    sort: '-x' biggest first, or an explicit order (e.g. HAZARD_LEVELS). colour_map: category →
    colour (palette.LEVEL_COLOURS for levels); one colour without it. height None: a fixed
    height per bar, so a long list grows instead of squeezing.
    """
    frame = _with_columns(df, [category_col, value_col])
    y = alt.Y(
        f"{category_col}:N", title=category_label or None, sort=sort if isinstance(sort, str) else list(sort)
    )
    x = alt.X(f"{value_col}:Q", axis=_count_axis(value_label))
    tooltip = [
        alt.Tooltip(f"{category_col}:N", title=category_label or ROW_KEY),
        alt.Tooltip(f"{value_col}:Q", title=value_label or DETAIL_KEY),
    ]
    base = alt.Chart(frame).encode(y=y, x=x, tooltip=tooltip)
    if colour_map:
        bars = base.mark_bar().encode(
            color=alt.Color(
                f"{category_col}:N", legend=None, scale=_category_scale(frame[category_col], colour_map)
            )
        )
    else:
        bars = base.mark_bar(color=palette.SINGLE_COLOUR)
    text = base.mark_text(align="left", dx=4).encode(text=f"{value_col}:Q")  # its type: config.text
    return _finish(alt.layer(bars, text), title, height if height is not None else alt.Step(BAR_STEP))


def new_vs_resolved(
    df: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    date_format: str = DATE_FORMAT,
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """Found and resolved per bucket as side-by-side bars: df[bucket, found, resolved].

    labels: 'found', 'resolved' (the two series), 'y' (count axis), 'title'.
    """
    names = {"found": labels.get("found", "found"), "resolved": labels.get("resolved", "resolved")}
    frame = _as_dates(_with_columns(df, ["bucket", *names]), "bucket")
    long = _long(frame, "bucket", names)
    chart = (
        alt.Chart(long)
        .mark_bar()
        .transform_calculate(detail=_detail("series", "amount"))
        .encode(
            x=_date_x("bucket", date_format),
            xOffset=alt.XOffset("series:N", sort=list(names.values())),
            y=alt.Y("amount:Q", axis=_count_axis(labels.get("y", ""))),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=list(names.values()), range=[palette.INCOMING_COLOUR, palette.DONE_COLOUR]
                ),
            ),
            tooltip=_day_tooltip("bucket", "detail"),
        )
    )
    return _finish(chart, labels.get("title", ""), height)


def age_gender_pyramid(
    df: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """Residents per age band, men to the left and women to the right: df[age_band, gender, residents].

    Age bands follow data_access.population.AGE_BANDS, oldest at the top; rows of another gender
    than 男/女 are left out. labels: 'male', 'female', 'residents' (x axis), 'age' (y axis), 'title'.
    """
    sides = {MALE: labels.get("male", MALE), FEMALE: labels.get("female", FEMALE)}
    frame = _with_columns(df, ["age_band", "gender", "residents"])
    frame = frame[frame["gender"].isin(list(sides))].copy()
    frame["side"] = frame["gender"].map(sides)
    frame["signed"] = frame["residents"].where(frame["gender"] == FEMALE, -frame["residents"])
    bands_top_down = [label for _, label in reversed(AGE_BANDS)]
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .transform_calculate(detail=_detail("side", "residents"))
        .encode(
            y=alt.Y(
                "age_band:O",
                title=labels.get("age") or None,
                sort=bands_top_down,
                scale=alt.Scale(domain=bands_top_down),
            ),
            x=alt.X(
                "signed:Q",
                title=labels.get("residents") or None,
                axis=alt.Axis(labelExpr="abs(datum.value)", tickMinStep=1),
            ),
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(
                    domain=list(sides.values()), range=[palette.GENDER_COLOURS[g] for g in sides]
                ),
            ),
            tooltip=[
                alt.Tooltip("age_band:O", title=labels.get("age") or ROW_KEY),
                alt.Tooltip("detail:N", title=DETAIL_KEY),
            ],
        )
    )
    return _finish(chart, labels.get("title", ""), height)


RATES = {  # rate column: (numerator, denominator) as in data_access.events.kpis
    "closure_rate": ("closed", "new"),
    "on_time_rate": ("on_time", "closed"),
    "transfer_rate": ("dispatched", "new"),
}


def rates_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Per bucket the three event rates in percent: bucket, closure_rate, on_time_rate, transfer_rate.

    A rate whose denominator is 0 is missing (NaN, null in the chart), never 0 or 100.
    """
    frame = _with_columns(df, ["bucket", "new", "closed", "on_time", "dispatched"])
    out = frame[["bucket"]].copy()
    for name, (numerator, denominator) in RATES.items():
        den = pd.to_numeric(frame[denominator], errors="coerce")
        num = pd.to_numeric(frame[numerator], errors="coerce")
        out[name] = (num / den.where(den != 0) * 100).astype("float64")
    return out


def rate_trend(
    df: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    date_format: str = DATE_FORMAT,
    height: int = DEFAULT_HEIGHT,
) -> alt.TopLevelMixin:
    """The three event rates per bucket in percent: df[bucket, new, closed, on_time, dispatched].

    An undefined rate stays null and the line breaks there. labels: 'closure_rate',
    'on_time_rate', 'transfer_rate', 'y' (axis), 'title'.
    """
    names = {name: labels.get(name, name) for name in RATES}
    rates = _as_dates(rates_frame(df), "bucket")
    long = _long(rates, "bucket", names).rename(columns={"amount": "rate"})
    chart = (
        alt.Chart(long)
        .mark_line(point=True, invalid=BREAK_AT_NULL)
        .transform_calculate(detail=_detail("series", "rate", ".2f", "%"))
        .encode(
            x=alt.X("bucket:T", title=None, axis=alt.Axis(format=date_format)),
            y=alt.Y(
                "rate:Q",
                title=labels.get("y") or None,
                scale=alt.Scale(zero=False, domainMax=100),
                axis=alt.Axis(labelExpr="datum.value + '%'"),
            ),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=list(names.values()))),
            tooltip=_day_tooltip("bucket", "detail"),
        )
    )
    return _finish(chart, labels.get("title", ""), height)
