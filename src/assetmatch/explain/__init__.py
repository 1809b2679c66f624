"""Explanations: the facts, reasons and words of a shortlist, in Chinese and English.

:class:`Explanation` says why one asset ranks where it does. The label functions give the
words a person reads for a code of the data model (a status, a tenure mode, a column), for
the report, the command line and notebooks (see :mod:`assetmatch.explain.labels`).
"""

from .explanation import Explanation
from .labels import (
    LANGS,
    check_lang,
    column_header,
    column_headers,
    criterion_name,
    label,
    layer_name,
    obstacle_name,
    path_name,
    status_name,
    tenure_name,
    tenure_names,
    unknown,
)

__all__ = [
    "LANGS",
    "Explanation",
    "check_lang",
    "column_header",
    "column_headers",
    "criterion_name",
    "label",
    "layer_name",
    "obstacle_name",
    "path_name",
    "status_name",
    "tenure_name",
    "tenure_names",
    "unknown",
]
