"""Analytics' own records in the transactional database (targets and their versions, alert
rules, saved reports). The analytics store itself is not here: it is a DuckDB database beside it
(qudao.analytics.store)."""

from .models_alerts import *  # noqa: E402, F403  (alerts: their own module, see models_alerts.py)
