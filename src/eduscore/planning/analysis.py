"""Where inequality lives: within- and between-group decomposition of each indicator.

For every county × level × indicator, with the sections' students as weights and a
grouping column (``education_group`` 教育集团, ``location`` 城乡分类, …):

- student-weighted variance ``V = Σ (p/P)(x − x̄)²`` splits exactly into
  *within* ``Σ_g (P_g/P) V_g`` and *between* ``Σ_g (P_g/P)(x̄_g − x̄)²``;
- the Theil index ``T = Σ (p/P)(x/x̄) ln(x/x̄)`` (positive values) splits into
  *within* ``Σ_g s_g T_g`` and *between* ``Σ_g s_g ln(x̄_g/x̄)``, where
  ``s_g = P_g x̄_g / (P x̄)`` is the group's share of the resource.

A large between share says the groups differ (e.g. urban vs rural schools); a small one
says the disparity lies inside groups (e.g. an education group does not even out its
own schools). Sections without a group form one group of their own ("(none)").
Computed for all counties at once with ``numpy.bincount`` over dense codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduscore.engine.dispersion import dense_codes
from eduscore.errors import InputError
from eduscore.planning.margins import MARGIN_SCHEMA, margins, risks_and_flips
from eduscore.planning.plan import Plan, cells, make_plan, resources
from eduscore.result import Result

DECOMPOSITION_SCHEMA = pa.schema(
    [
        ("county_code", pa.string()),
        ("year", pa.int64()),
        ("level", pa.string()),
        ("indicator", pa.string()),
        ("grouping", pa.string()),
        ("n_groups", pa.int64()),
        ("n_sections", pa.int64()),
        ("variance", pa.float64()),
        ("within", pa.float64()),
        ("between", pa.float64()),
        ("between_share", pa.float64()),
        ("theil", pa.float64()),
        ("theil_within", pa.float64()),
        ("theil_between", pa.float64()),
    ]
)


def decompose(result: Result, by: str = "education_group") -> pa.Table:
    """Within/between decomposition of every indicator's spread by the column ``by``.

    >>> import eduscore
    >>> table = decompose(eduscore.evaluate(**eduscore.demo_inputs()), by="education_group")
    >>> table.column_names[:5]
    ['county_code', 'year', 'level', 'indicator', 'grouping']
    """
    s = result.sections
    if by not in s.column_names:
        raise InputError(
            f"no column {by!r} in the scored sections; give it in the input (e.g. 教育集团 or 城乡分类)",
            zh=f"参与评估的学校数据中没有 {by!r} 列;请在输入数据中提供(如 教育集团 或 城乡分类)",
        )
    s = s.filter(s.column("in_scope"))
    indicators = [i.id for i in result.framework.indicators if i.id in s.column_names]
    rows: list[pa.Table] = []
    for ind in indicators:  # a few indicators; every county at once inside
        x = pc.cast(s.column(ind), pa.float64())
        p = pc.cast(s.column("students"), pa.float64())
        keep = pc.and_(pc.and_(pc.is_valid(x), pc.is_valid(p)), pc.greater(pc.fill_null(p, 0.0), 0.0))
        t = s.filter(keep)
        if t.num_rows == 0:
            continue
        x_np = np.asarray(pc.cast(t.column(ind), pa.float64()).to_numpy(zero_copy_only=False))
        p_np = np.asarray(pc.cast(t.column("students"), pa.float64()).to_numpy(zero_copy_only=False))
        county_cells = cells(t)
        cell = county_cells.code
        group, group_values = dense_codes(pc.fill_null(pc.cast(t.column(by), pa.string()), "(none)"))
        n_cells, n_groups = len(county_cells), len(group_values)
        sub = cell * n_groups + group  # dense code of county-level-group
        size = n_cells * n_groups
        P = np.bincount(cell, weights=p_np, minlength=n_cells)
        Px = np.bincount(cell, weights=p_np * x_np, minlength=n_cells)
        mean = Px / P
        Pg = np.bincount(sub, weights=p_np, minlength=size)
        Pgx = np.bincount(sub, weights=p_np * x_np, minlength=size)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            mean_g = np.where(Pg > 0, Pgx / Pg, 0.0)
            d = x_np - mean[cell]
            var = np.bincount(cell, weights=p_np * d * d, minlength=n_cells) / P
            dg = x_np - mean_g[sub]
            within = np.bincount(cell, weights=p_np * dg * dg, minlength=n_cells) / P
            between_terms = Pg * (mean_g - np.repeat(mean, n_groups)) ** 2
            between = between_terms.reshape(n_cells, n_groups).sum(axis=1) / P
            # Theil (defined for positive values only)
            positive = np.bincount(cell, weights=(x_np <= 0).astype(float), minlength=n_cells) == 0
            r = np.where(x_np > 0, x_np / mean[cell], 1.0)
            theil = np.bincount(cell, weights=p_np * r * np.log(r), minlength=n_cells) / P
            rg = np.where(x_np > 0, x_np / mean_g[sub], 1.0)
            share = (Pg * mean_g) / np.repeat(P * mean, n_groups)
            t_g = np.bincount(sub, weights=p_np * rg * np.log(rg), minlength=size) / np.where(Pg > 0, Pg, 1.0)
            theil_within = (share * t_g).reshape(n_cells, n_groups).sum(axis=1)
            log_ratio = np.where(
                Pg > 0, np.log(np.where(Pg > 0, mean_g, 1.0) / np.repeat(mean, n_groups)), 0.0
            )
            theil_between = (share * log_ratio).reshape(n_cells, n_groups).sum(axis=1)
        groups_present = (Pg > 0).reshape(n_cells, n_groups).sum(axis=1)
        counts = np.bincount(cell, minlength=n_cells)
        defined = positive & (mean > 0)
        # Values so small that their ratios overflow (subnormal floats) have no usable Theil.
        finite = np.isfinite(theil) & np.isfinite(theil_within) & np.isfinite(theil_between)
        nothing = ~(defined & finite)
        rows.append(
            pa.table(
                {
                    "county_code": county_cells.keys.column("county_code"),
                    "year": county_cells.keys.column("year"),
                    "level": county_cells.keys.column("level"),
                    "indicator": pa.repeat(pa.scalar(ind), n_cells),
                    "grouping": pa.repeat(pa.scalar(by), n_cells),
                    "n_groups": pa.array(groups_present, pa.int64()),
                    "n_sections": pa.array(counts, pa.int64()),
                    "variance": pa.array(var, pa.float64()),
                    "within": pa.array(within, pa.float64()),
                    "between": pa.array(between, pa.float64()),
                    "between_share": pa.array(
                        np.where(var > 0, between / np.where(var > 0, var, 1.0), 0.0), mask=~(var > 0)
                    ),
                    "theil": pa.array(theil, mask=nothing),
                    "theil_within": pa.array(theil_within, mask=nothing),
                    "theil_between": pa.array(theil_between, mask=nothing),
                },
                schema=DECOMPOSITION_SCHEMA,
            )
        )
    if not rows:
        return DECOMPOSITION_SCHEMA.empty_table()
    return pa.concat_tables(rows)


@attrs.frozen
class Analyses:
    """Beyond the verdict, for the reports: plan, margins, nearest risks, decomposition.

    ``plan`` is ``None`` for a framework without per-student resource indicators
    (preschool-2020); ``decomposition`` is ``None`` when the scored sections carry no
    grouping column (``education_group`` 教育集团 or ``location`` 城乡分类)."""

    plan: Plan | None
    #: A table, or what makes it: :func:`analyse` leaves the margins of every check (a
    #: nation's are millions of rows) to be made when :attr:`margins` is first read.
    _margins: pa.Table | Callable[[], pa.Table] = attrs.field(alias="margins", eq=False, repr=False)
    risks: pa.Table
    decomposition: pa.Table | None
    by: str | None
    #: Per county the three checks nearest to flipping either way (:func:`eduscore.planning.margins.flips`).
    flips: pa.Table = attrs.field(factory=lambda: MARGIN_SCHEMA.empty_table())

    @property
    def margins(self) -> pa.Table:
        """The margin of every assessed check (:func:`eduscore.margins`)."""
        if callable(self._margins):
            object.__setattr__(self, "_margins", self._margins())
        return self._margins


def default_grouping(result: Result) -> str | None:
    """The first of ``education_group``, ``location`` that the sections fill in."""
    s = result.sections
    for col in ("education_group", "location"):
        if col in s.column_names and s.column(col).null_count < s.num_rows:
            return col
    return None


def analyse(result: Result, costs: Mapping[str, float] | None = None, by: str | None = None) -> Analyses:
    """Plan, margins (with the 5 nearest risks per county) and decomposition of a result.

    >>> import eduscore
    >>> a = analyse(eduscore.evaluate(**eduscore.demo_inputs()))
    >>> a.by, a.plan is not None
    ('education_group', True)
    """
    plan = make_plan(result, costs) if resources(result.framework) else None
    group = by or default_grouping(result)
    nearest, flips = risks_and_flips(result)
    return Analyses(
        plan=plan,
        margins=lambda: margins(result),
        risks=nearest,
        flips=flips,
        decomposition=decompose(result, group) if group else None,
        by=group,
    )
