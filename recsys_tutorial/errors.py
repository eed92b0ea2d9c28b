"""The package's one warning class for data that arrived incomplete, and how it is raised.

Convention: anything that means "your data is incomplete or was changed on the way in" (a truncated file,
a whole relation kind dropped, a filter that removed nearly everything, a corrupt cache entry replaced) is a
:class:`DataWarning` through :func:`warn_data`, so a library user sees it by default (Python shows
``UserWarning`` subclasses once per place) and a test can assert it. The same text is also logged at
WARNING level for applications that collect logs. Routine progress stays on ``logging`` at INFO.
"""

from __future__ import annotations

import logging
import warnings

__all__ = ["DataWarning", "warn_data"]


class DataWarning(UserWarning):
    """Data was incomplete, dropped or replaced on the way in; the message says what and how much."""


def warn_data(message: str, logger: logging.Logger | None = None, stacklevel: int = 3) -> None:
    """Warn (``DataWarning``) and log the same message at WARNING level."""
    warnings.warn(message, DataWarning, stacklevel=stacklevel)
    if logger is not None:
        logger.warning(message)
