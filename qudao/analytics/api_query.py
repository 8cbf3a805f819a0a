"""The analytics API: the semantic layer's figures (see docs/analytics.md).

GET   /analytics/metrics    the metrics and dimensions the caller may use, labels in its language
POST  /analytics/query      figures: metrics by dimensions over [start, end], in the caller's scope

A metric the caller's roles may not see (gross margin without the right to see cost prices)
answers 403; an unknown name, a bad range or a query too large 422 with the field; a partner user
gets its own figures (a distributor with its sub-dealers), a regional manager its regions'.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Router, Schema

from qudao.core.errors import Forbidden
from qudao.core.schemas import InputSchema

from . import semantic

router = Router(tags=["analytics"])

Code = Annotated[str, Field(max_length=40)]


class AnalyticsMetricOut(Schema):
    code: str
    label: str
    description: str
    format: str = Field(description="money | count | ratio | days")


class AnalyticsDimensionOut(Schema):
    code: str
    label: str
    grain: bool = Field(description="A time grain (day, week, month, quarter, year).")


class AnalyticsCatalogOut(Schema):
    metrics: list[AnalyticsMetricOut]
    dimensions: list[AnalyticsDimensionOut]


class AnalyticsQueryIn(InputSchema):
    metrics: list[Code] = Field(
        min_length=1, max_length=semantic.MAX_METRICS, description="Metric codes (GET /analytics/metrics)."
    )
    dimensions: list[Code] = Field(default_factory=list, max_length=4, description="Dimension codes.")
    filters: dict[Code, list[Annotated[str, Field(max_length=64)]]] = Field(
        default_factory=dict,
        max_length=10,
        description='{dimension: [keys]}, e.g. {"tier": ["gold"], "province": ["320000"]}.',
    )
    start: dt.date = Field(description="First local day.")
    end: dt.date = Field(description="Last local day (inclusive).")
    grain: Literal["day", "week", "month", "quarter", "year"] | None = None


class AnalyticsColumnOut(Schema):
    code: str
    label: str
    kind: str = Field(description="dimension | metric")
    format: str


class AnalyticsResultOut(Schema):
    columns: list[AnalyticsColumnOut]
    rows: list[dict[str, Any]] = Field(
        description="One object per group: a dimension as {key, label}, money and ratios as decimal strings, "
        "counts as integers."
    )


def _require(user) -> None:
    if not user.can("analytics.view"):
        raise Forbidden()


def _cell(value):
    return str(value) if isinstance(value, Decimal) else value


@router.get("/analytics/metrics", response=AnalyticsCatalogOut)
def analytics_catalog(request):
    """The metrics and dimensions the caller may use."""
    _require(request.auth)
    return {
        "metrics": [
            {"code": m.code, "label": str(m.label), "description": str(m.description), "format": m.format}
            for m in semantic.metrics_for(request.auth)
        ],
        "dimensions": [{"code": d.code, "label": str(d.label), "grain": d.grain} for d in semantic.DIMENSIONS_LIST],
    }


@router.post("/analytics/query", response=AnalyticsResultOut)
def analytics_query(request, body: AnalyticsQueryIn):
    """Figures from the analytics store (at most a minute behind the database)."""
    _require(request.auth)
    result = semantic.query(request.auth, body.metrics, body.dimensions, body.filters, body.start, body.end, body.grain)
    return {"columns": result.columns, "rows": [{k: _cell(v) for k, v in row.items()} for row in result.rows]}
