"""API schemas of the partner network: partners, tiers, contacts, credit terms, members,
applications, approvals and the audit trail as partners.api serves them.

Inputs are typed but deliberately plain (codes and ids as the client knows them); every business
rule (credit code check character, region and parent lookups, hierarchy, thresholds) is checked
by partners.services, which answers with per-field errors. Money is a string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from qudao.core.schemas import (
    Id,
    IdParam,
    InputSchema,
    MoneyIn,
    MultilineText,
    RegionRef,
    SmallInt,
    TextSchema,
)

# --- shared references -----------------------------------------------------------------------


class TierRef(Schema):
    id: int
    code: str
    name: str


class PartnerRef(Schema):
    id: int
    code: str
    name: str


# --- tiers -----------------------------------------------------------------------------------


class TierOut(Schema):
    id: int
    code: str
    name: str
    rank: SmallInt
    description: str
    is_active: bool


class TierIn(InputSchema):
    code: str
    name: str
    rank: SmallInt
    description: MultilineText = ""
    is_active: bool = True


class TierPatch(InputSchema):
    code: str | None = None
    name: str | None = None
    rank: SmallInt | None = None
    description: MultilineText | None = None
    is_active: bool | None = None


class TierFilters(TextSchema):
    active: bool | None = None


# --- contacts --------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    name: str
    role: str
    mobile: str
    email: str
    is_primary: bool


class ContactIn(InputSchema):
    name: str
    role: str = ""
    mobile: str = ""
    email: str = ""
    is_primary: bool = False


class ContactPatch(InputSchema):
    name: str | None = None
    role: str | None = None
    mobile: str | None = None
    email: str | None = None
    is_primary: bool | None = None


# --- partners --------------------------------------------------------------------------------

PartnerTypeIn = Literal["distributor", "dealer", "agent", "service"]
PartnerStatusIn = Literal["applicant", "active", "suspended", "terminated"]


class PartnerFilters(TextSchema):
    q: str | None = Field(None, description="Part of the code, legal or short name, or credit code.")
    partner_type: PartnerTypeIn | None = None
    tier: str | None = Field(None, description="Tier code.")
    status: PartnerStatusIn | None = None
    region: str | None = Field(None, description="Region code; partners anywhere inside it.")
    owner: str | None = Field(None, description="Username of the channel manager or regional owner.")
    tag: str | None = None
    parent: IdParam | None = Field(None, description="Id of the parent distributor: its direct sub-dealers.")
    sort: (
        Literal[
            "code",
            "-code",
            "name",
            "-name",
            "created",
            "-created",
            "tier",
            "-tier",
            "region",
            "-region",
            "status",
            "-status",
        ]
        | None
    ) = None


class PartnerListOut(Schema):
    id: int
    code: str
    partner_type: str
    legal_name: str
    short_name: str
    credit_code: str | None
    status: str
    tier: TierRef
    region: RegionRef
    parent: PartnerRef | None
    depth: int
    channel_manager: str | None
    regional_owner: str | None
    created_at: datetime


class CreditTermsOut(Schema):
    credit_limit: str
    currency: str
    payment_terms_days: int


class PartnerOut(PartnerListOut):
    address: str
    invoice_title: str
    invoice_address_phone: str
    bank_name: str
    bank_account: str
    product_lines: list[str]
    territories: list[RegionRef]
    tags: list[str]
    contacts: list[ContactOut]
    credit: CreditTermsOut
    path: str
    updated_at: datetime


class PartnerIn(InputSchema):
    partner_type: PartnerTypeIn
    legal_name: str
    short_name: str = ""
    credit_code: str | None = None
    region: str = Field(..., description="Region code (province or city).")
    tier: str | None = Field(None, description="Tier code; the lowest tier when not given.")
    address: str = ""
    invoice_title: str = ""
    invoice_address_phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    product_lines: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    territories: list[str] = Field(default_factory=list, description="Region codes of the sales territory.")
    parent: Id | None = Field(None, description="Id of the parent distributor.")
    channel_manager: str | None = Field(None, description="Username.")
    regional_owner: str | None = Field(None, description="Username.")
    payment_terms_days: SmallInt = 0
    contacts: list[ContactIn] = Field(default_factory=list)


class PartnerPatch(InputSchema):
    """Only the fields sent change. Tier, status and credit terms have their own endpoints."""

    partner_type: PartnerTypeIn | None = None
    legal_name: str | None = None
    short_name: str | None = None
    credit_code: str | None = None
    region: str | None = None
    address: str | None = None
    invoice_title: str | None = None
    invoice_address_phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    product_lines: list[str] | None = None
    tags: list[str] | None = None
    territories: list[str] | None = None
    parent: Id | None = None
    channel_manager: str | None = None
    regional_owner: str | None = None


class StatusChangeIn(InputSchema):
    status: PartnerStatusIn
    reason: MultilineText


class TierChangeIn(InputSchema):
    tier: str = Field(..., description="Tier code.")
    reason: MultilineText


class PartnerStatusChangeOut(Schema):
    id: int
    from_status: str
    to_status: str
    reason: str
    actor: str | None
    at: datetime


class TierChangeOut(Schema):
    id: int
    from_tier: TierRef | None
    to_tier: TierRef
    reason: str
    actor: str | None
    at: datetime


class ChildrenFilters(TextSchema):
    depth: Literal["all", "1"] = Field("all", description="1: direct sub-dealers only; all: every level below.")


# --- credit terms ----------------------------------------------------------------------------


class ApprovalRef(Schema):
    id: int
    number: str
    status: str


class CreditChangeIn(InputSchema):
    credit_limit: MoneyIn
    payment_terms_days: SmallInt
    currency: str | None = None
    reason: MultilineText


class CreditChangeOut(Schema):
    id: int
    status: str
    old_limit: str
    new_limit: str
    old_currency: str
    new_currency: str
    old_terms_days: int
    new_terms_days: int
    reason: str
    requested_by: str | None
    requested_at: datetime
    decided_at: datetime | None
    approval: ApprovalRef | None


# --- members ---------------------------------------------------------------------------------


class MemberOut(Schema):
    user_id: int
    username: str
    display_name: str
    email: str
    mobile: str
    role: str
    is_active: bool
    created_at: datetime


class MemberIn(InputSchema):
    display_name: str
    mobile: str = ""
    email: str = ""
    role: Literal["partner_admin", "partner_staff"] = "partner_staff"
    username: str | None = None
    language: Literal["zh-hans", "zh-hant", "en", ""] = ""


class MemberInvitedOut(Schema):
    member: MemberOut
    set_password_link: str


# --- applications ----------------------------------------------------------------------------


class ApplicationForm(TextSchema):
    """The public application form (multipart, with the licence scan as the file "licence").
    Everything is checked by the service so that all mistakes come back at once."""

    partner_type: str = ""
    legal_name: str = ""
    short_name: str = ""
    credit_code: str = ""
    region: str = Field("", description="Region code (province or city).")
    address: str = ""
    product_lines: list[str] = Field(default_factory=list, description="Repeat the field, or separate by commas.")
    parent: str = Field("", description="Id of the distributor applied under, if any.")
    contact_name: str = ""
    contact_mobile: str = ""
    contact_email: str = ""
    message: MultilineText = ""


class ApplicationResubmitForm(TextSchema):
    """A returned application, corrected: only the fields sent change (the licence too)."""

    partner_type: str | None = None
    legal_name: str | None = None
    short_name: str | None = None
    credit_code: str | None = None
    region: str | None = None
    address: str | None = None
    product_lines: list[str] | None = None
    parent: str | None = None
    contact_name: str | None = None
    contact_mobile: str | None = None
    contact_email: str | None = None
    message: MultilineText | None = None


class ApplicationCreatedOut(Schema):
    number: str
    status: str
    access_token: str
    status_url: str


class ApplicationStatusOut(Schema):
    number: str
    status: str
    status_label: str
    legal_name: str
    submitted_at: datetime
    decided_at: datetime | None
    comment: str | None = Field(None, description="The reviewer's comment when returned or rejected.")
    login_username: str | None = Field(None, description="When approved: the first administrator's user name.")


class ApplicationFilters(TextSchema):
    status: Literal["submitted", "returned", "approved", "rejected"] | None = None
    q: str | None = Field(None, description="Part of the number, legal name or credit code, or the mobile.")


class ApplicationListOut(Schema):
    id: int
    number: str
    status: str
    partner_type: str
    legal_name: str
    credit_code: str
    region: RegionRef
    parent: PartnerRef | None
    contact_name: str
    submitted_at: datetime
    decided_at: datetime | None


class DuplicateOut(Schema):
    kind: str
    id: int
    label: str
    matched_on: list[str]


class ApprovalSummaryOut(Schema):
    id: int
    number: str
    status: str
    flow: str
    current_step: str | None
    round: int


class ApplicationOut(ApplicationListOut):
    short_name: str
    address: str
    product_lines: list[str]
    contact_mobile: str
    contact_email: str
    message: str
    licence_url: str | None
    partner: PartnerRef | None
    admin_username: str | None
    duplicates: list[DuplicateOut]
    approval: ApprovalSummaryOut | None


# --- approvals -------------------------------------------------------------------------------


class ApprovalFilters(TextSchema):
    box: Literal["inbox", "all"] = Field("inbox", description="inbox: waiting for me; all: every one I may read.")
    status: Literal["pending", "approved", "rejected", "returned", "cancelled", "withdrawn"] | None = None
    subject_kind: str | None = None


class StepRef(Schema):
    id: int
    sequence: int
    name: str
    approver_role: str
    match_region: bool


class ApprovalListOut(Schema):
    id: int
    number: str
    subject_kind: str
    subject_id: str
    title: str
    status: str
    current_step: StepRef | None
    region: RegionRef | None
    partner_id: int | None
    submitted_by: str | None
    round: int
    created_at: datetime
    step_started_at: datetime | None
    decided_at: datetime | None


class DecisionOut(Schema):
    id: int
    step: str | None
    round: int
    actor: str | None
    decision: str
    comment: str
    at: datetime


class FlowRef(Schema):
    id: int
    name: str


class ApprovalOut(ApprovalListOut):
    subject_label: str
    subject_url: str
    flow: FlowRef
    steps: list[StepRef]
    decisions: list[DecisionOut]
    can_decide: bool


class ApprovalDecisionIn(InputSchema):
    decision: Literal["approve", "reject", "return"]
    comment: MultilineText = ""
    expected_step_id: Id | None = Field(None, description="The step you saw; 409 when the request moved on.")
