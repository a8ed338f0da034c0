"""Domain exceptions. Every message names what a county statistician needs to fix it."""

from __future__ import annotations


class EduscoreError(Exception):
    """Base class of every error eduscore raises on purpose."""


class FormulaError(EduscoreError):
    """A formula in a framework document cannot be parsed or type-checked."""


class FrameworkError(EduscoreError):
    """A framework document is invalid (schema, unknown ids, bad formulas)."""


class InputError(EduscoreError):
    """Input data cannot be used at all (missing file, unreadable table, no required column).

    Problems confined to single rows never raise: those rows are rejected with a reason
    and reported in ``Result.rejected``.
    """
