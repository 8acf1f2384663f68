"""Errors a user of the transforms can meet; each names the offending value and the fix."""

from __future__ import annotations

from contracts.errors import InterlinkError


class TransformError(InterlinkError, ValueError):
    """Base of the user-facing transform errors (the CLI prints them without a traceback)."""


class ResolveInputError(TransformError):
    """The file given to `interlink resolve` cannot be read as person records."""


class EntityNotFound(TransformError):
    """`interlink explain` was given an entity id that the lake does not hold."""


class LakeNotBuilt(TransformError):
    """Gold tables are missing: the pipeline has not run on this lake yet."""


class UnknownBatch(TransformError):
    """`interlink quality release` names a batch that is not in quarantine."""
