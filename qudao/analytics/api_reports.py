"""The report builder's API (docs/reports.md):

GET    /analytics/reports               the saved reports the caller may open (own, shared with its roles)
POST   /analytics/reports               save a report (201)
GET    /analytics/reports/{report_id}   one report
PUT    /analytics/reports/{report_id}   change it (its owner only)
DELETE /analytics/reports/{report_id}   delete it (its owner only, 204)
GET    /analytics/reports/{report_id}/result   run it as the caller: the caller's scope and metrics

A report another user did not share with one of the caller's roles answers 404. Partner users
have no reports (403). Running a shared report leaves out the metrics the caller may not see and
says which (`omitted`); saving a definition with such a metric is refused (403).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from qudao.core.errors import Forbidden
from qudao.core.schemas import Id, IdParam, InputSchema

from . import reports

router = Router(tags=["analytics"])


class ReportPeriodIn(InputSchema):
    relative: Literal[tuple(reports.RELATIVE_PERIODS)] | None = Field(  # type: ignore[valid-type]
        default=None, description="this_month, last_month, this_quarter, last_quarter, ytd, last_year, ..."
    )
    start: dt.date | None = Field(default=None, description="A fixed first day (without `relative`).")
    end: dt.date | None = Field(default=None, description="A fixed last day (inclusive).")


class ReportDefinitionIn(InputSchema):
    metrics: list[str] = Field(min_length=1, max_length=20, description="Metric codes (GET /analytics/metrics).")
    rows: list[str] = Field(default_factory=list, max_length=4)
    columns: list[str] = Field(default_factory=list, max_length=4)
    filters: dict[str, list[str]] = Field(default_factory=dict, max_length=10)
    period: ReportPeriodIn
    chart: Literal["table", "pivot", "bar", "line", "pie", "map"] = "table"


class ReportIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    definition: ReportDefinitionIn
    shared_roles: list[str] = Field(default_factory=list, max_length=10, description="HQ role codes.")
    schedule: Literal["none", "weekly", "monthly"] = "none"
    schedule_weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday (weekly).")
    schedule_day: int | None = Field(default=None, ge=1, le=28, description="Day of the month (monthly).")
    recipients: list[Id] = Field(default_factory=list, max_length=50, description="User ids.")


class ReportOut(Schema):
    id: int
    name: str
    owner: str
    is_owner: bool
    definition: dict[str, Any]
    shared_roles: list[str]
    schedule: str
    schedule_weekday: int | None
    schedule_day: int | None
    recipients: list[int]
    updated_at: dt.datetime


class ReportResultOut(Schema):
    start: dt.date
    end: dt.date
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]] = Field(description="As POST /analytics/query answers.")
    omitted: list[str] = Field(description="Labels of metrics left out: the caller's roles may not see them.")


def _require(user) -> None:
    if not reports.may_build(user):
        raise Forbidden()


def _out(report, user) -> dict:
    return {
        "id": report.pk,
        "name": report.name,
        "owner": report.owner.get_full_name(),
        "is_owner": report.owner_id == user.pk,
        "definition": report.definition,
        "shared_roles": report.shared_roles,
        "schedule": report.schedule,
        "schedule_weekday": report.schedule_weekday,
        "schedule_day": report.schedule_day,
        "recipients": [user.pk for user in report.recipients.all()],
        "updated_at": report.updated_at,
    }


def _data(body: ReportIn) -> dict:
    data = body.model_dump()
    period = {key: value for key, value in data["definition"]["period"].items() if value is not None}
    data["definition"]["period"] = {
        key: value.isoformat() if isinstance(value, dt.date) else value for key, value in period.items()
    }
    return data


def _cell(value):
    return str(value) if isinstance(value, Decimal) else value


@router.get("/analytics/reports", response=list[ReportOut])
def report_list(request):
    _require(request.auth)
    return [
        _out(report, request.auth) for report in reports.visible_reports(request.auth).prefetch_related("recipients")
    ]


@router.post("/analytics/reports", response={201: ReportOut})
def report_create(request, body: ReportIn):
    _require(request.auth)
    report = reports.save_report(request.auth, _data(body))
    return Status(201, _out(report, request.auth))


@router.get("/analytics/reports/{report_id}", response=ReportOut)
def report_detail(request, report_id: IdParam):
    _require(request.auth)
    return _out(reports.get_report(request.auth, report_id), request.auth)


@router.put("/analytics/reports/{report_id}", response=ReportOut)
def report_update(request, report_id: IdParam, body: ReportIn):
    _require(request.auth)
    report = reports.save_report(request.auth, _data(body), reports.get_own_report(request.auth, report_id))
    return _out(report, request.auth)


@router.delete("/analytics/reports/{report_id}", response={204: None})
def report_delete(request, report_id: IdParam):
    _require(request.auth)
    reports.delete_report(request.auth, reports.get_own_report(request.auth, report_id))
    return Status(204, None)


@router.get("/analytics/reports/{report_id}/result", response=ReportResultOut)
def report_result(request, report_id: IdParam):
    """The report's figures for the caller (its scope, its metrics), relative periods counted from
    today in the deployment's time zone."""
    _require(request.auth)
    report = reports.get_report(request.auth, report_id)
    result = reports.run(request.auth, report.definition, timezone.localdate())
    columns = result.result.columns if result.result else []
    rows = [{k: _cell(v) for k, v in row.items()} for row in result.result.rows] if result.result else []
    return {"start": result.start, "end": result.end, "columns": columns, "rows": rows, "omitted": result.omitted}
