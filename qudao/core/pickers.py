"""Searchable pickers: form fields whose widget lets a person type a name and pick a record, while
the form still submits the record's key (an id or a code). See docs/pickers.md.

A picker is a `PickerField` with a `PickerWidget`:
- the widget renders a hidden input carrying the value (`name`) and a visible text box
  (`name__search`) showing the record's label; qudao/static/qudao/pickers.js fetches the options
  from the field's search URL (JSON `{"results": [{"value", "label", "detail", "more"}]}`) as the
  person types, and puts the chosen value in the hidden input;
- the field resolves what was submitted on the server, so validation stays authoritative: the
  hidden value (an id or a code), or, when the page ran without script or the person typed
  without picking, the typed text (a code, a credit code, an exact name). Anything unknown or
  outside what the user may see is a field error in the user's language.

Fields that depend on who is asking (partners) get the user from `bind_user(form, user)`.

This module also holds the region picker (regions are core's reference data: province, then city)
and `MultiSelect`, a checkbox dropdown for fields that take several tiers, types or lines.
"""

from __future__ import annotations

import copy
import re

from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .models import Region

SEARCH_SUFFIX = "__search"
MAX_QUERY = 100
MAX_RESULTS = 20


class PickerWidget(forms.Widget):
    """A hidden value and a visible search box (see the module's docstring)."""

    template_name = "core/widgets/picker.html"

    field = None  # the PickerField this widget belongs to (set by the field, also on its copies)

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        if value:
            return value
        text = data.get(name + SEARCH_SUFFIX)
        return "" if text is None else str(text).strip()

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + SEARCH_SUFFIX not in data

    def id_for_label(self, id_):
        return f"{id_}{SEARCH_SUFFIX}" if id_ else id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        text = ""
        field = self.field
        if value not in (None, "") and field is not None:
            text = field.label_for(value) or str(value)
        url = reverse(field.search_url_name) if field is not None and field.search_url_name else ""
        if url and field.search_query:
            url = f"{url}?{field.search_query}"
        widget = context["widget"]
        widget.update(
            {
                "search_name": name + SEARCH_SUFFIX,
                "search_id": self.id_for_label(widget["attrs"].get("id")),
                "text": text,
                "search_url": str(url),
                "placeholder": str(field.placeholder) if field is not None else "",
            }
        )
        return context


class PickerField(forms.Field):
    """A field whose value is resolved by `resolve(text)` (None: unknown). `user` is set by
    `bind_user`; a field that needs it and has none finds nothing."""

    widget = PickerWidget
    search_url_name = ""
    default_error_messages = {"unknown": _("Choose one from the list.")}
    placeholder = _("Type to search")
    search_query = ""  # appended to the search URL (e.g. "value=code": options carry codes)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.widget.field = self

    def __deepcopy__(self, memo):
        # every form gets copies of its fields; each copy's widget must name that copy (its user)
        result = super().__deepcopy__(memo)
        result.widget.field = result
        return result

    def resolve(self, text: str):  # pragma: no cover - overridden
        raise NotImplementedError

    def label_for(self, value) -> str:
        return str(value)

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in (None, ""):
            return None
        resolved = self.resolve(str(text)[:MAX_QUERY])
        if resolved is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return resolved

    def prepare_value(self, value):
        return "" if value is None else value


def bind_user(form, user) -> None:
    """Give every picker of `form` the user it searches for (the scoping rule applies)."""
    for field in form.fields.values():
        if isinstance(field, PickerField | MultiPickerField):
            field.user = user


# --- regions ---------------------------------------------------------------------------------------

_SUFFIXES = ("省", "市", "自治区", "特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区")


def regions_matching(q: str, *, parent: str = "", limit: int = MAX_RESULTS) -> list[Region]:
    """Provinces and cities matching `q` (a name in any language, or a code), provinces first;
    with `parent` (a region's code), that region's children."""
    regions = Region.objects.exclude(level=Region.Level.COUNTRY).select_related("parent")
    if parent:
        return list(regions.filter(parent__code=parent).order_by("path")[:limit])
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return list(regions.filter(level=Region.Level.PROVINCE).order_by("path")[:limit])
    match = Q(name__icontains=q) | Q(name_hant__icontains=q) | Q(name_en__icontains=q)
    if re.fullmatch(r"[0-9]{1,16}", q):
        match |= Q(code__startswith=q)
    regions = regions.filter(match).annotate(
        rank=Case(When(level=Region.Level.PROVINCE, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    return list(regions.order_by("rank", "path")[:limit])


def region_option(region: Region) -> dict:
    parent = region.parent if region.parent_id and region.parent.level != Region.Level.COUNTRY else None
    return {
        "value": region.code,
        "label": region.full_name,
        "detail": f"{region.get_level_display()} · {region.code}" if parent is None else region.code,
        "more": region.level == Region.Level.PROVINCE,
    }


def find_region(text: str) -> Region | None:
    """The region a person means by `text`: its code, or its name (江苏 or 江苏省, 南京 or
    南京市, in any language); None if unknown or ambiguous."""
    text = (text or "").strip()
    if not text:
        return None
    region = Region.objects.filter(code=text).first()
    if region is not None:
        return region
    names = {text} | {text + suffix for suffix in _SUFFIXES}
    # "江苏省 南京市" (a full name as the picker shows it): the last part, inside the first
    parts = text.split()
    found = Region.objects.exclude(level=Region.Level.COUNTRY).filter(
        Q(name__in=names) | Q(name_hant__in=names) | Q(name_en__iexact=text)
    )
    if len(parts) == 2:
        inside = find_region(parts[0])
        inner = find_region(parts[1]) if inside is not None else None
        return inner if inner is not None and inside.contains(inner) else None
    found = list(found[:2])
    return found[0] if len(found) == 1 else None


class RegionField(PickerField):
    """A province or a city, picked by name (江苏 → 南京); the value is the region's code."""

    search_url_name = "core:picker_regions"
    default_error_messages = {"unknown": _("Unknown region.")}
    placeholder = _("Province or city")

    def resolve(self, text: str):
        region = find_region(text)
        return region.code if region is not None else None

    def label_for(self, value) -> str:
        region = Region.objects.select_related("parent").filter(code=str(value)).first()
        return region.full_name if region else str(value)


class RegionMultiPicker(forms.Widget):
    """Several regions: each chosen one is a ticked box (a chip: untick to drop it, no script
    needed) and a search box adds more. pickers.js adds a chip per option picked; a province picked
    then offers its cities, and a city picked there replaces that province. Typed text that was not
    picked (no script) is sent as `name__search` and resolved by the field."""

    template_name = "core/widgets/region_multi_picker.html"
    placeholder = _("Type a province or city, then pick it")

    def value_from_datadict(self, data, files, name):
        values = [str(value).strip() for value in data.getlist(name)] if hasattr(data, "getlist") else []
        if not values and isinstance(data.get(name), list | tuple):
            values = [str(value).strip() for value in data.get(name)]
        elif not values and isinstance(data.get(name), str):
            values = [data.get(name).strip()]
        text = data.get(name + SEARCH_SUFFIX)
        text = "" if text is None else str(text).strip()
        # each box is one region; a plain value (an API-like post, a test) may still list several
        return [piece for value in values for piece in split_region_text(value)] + split_region_text(text)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + SEARCH_SUFFIX not in data

    def id_for_label(self, id_):
        return f"{id_}{SEARCH_SUFFIX}" if id_ else id_

    def format_value(self, value):
        if value in (None, ""):
            return []
        if isinstance(value, str):
            return split_region_text(value)
        return [str(item) for item in value]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen, unknown = [], []
        for item in context["widget"]["value"]:
            region = find_region(item)
            if region is None:
                unknown.append(item)
            elif region.code not in {chip["value"] for chip in chosen}:
                chosen.append({"value": region.code, "label": region.full_name})
        widget = context["widget"]
        widget.update(
            {
                "chips": chosen,
                "text": " ".join(unknown),
                "search_name": name + SEARCH_SUFFIX,
                "search_id": self.id_for_label(widget["attrs"].get("id")),
                "search_url": str(reverse("core:picker_regions")),
                "placeholder": str(self.placeholder),
            }
        )
        return context


def split_region_text(text: str) -> list[str]:
    """Regions typed in one box: separated by commas, 、, semicolons or new lines; spaces separate
    too, except inside a full name the picker shows ("江苏省 南京市")."""
    pieces = [piece.strip() for piece in re.split(r"[,，、;；\n]+", text or "") if piece.strip()]
    out = []
    for piece in pieces:
        if " " in piece and find_region(piece) is None:
            out.extend(part for part in piece.split() if part)
        else:
            out.append(piece)
    return out


class RegionMultipleField(forms.Field):
    """Several provinces or cities, picked by name (广东 → 佛山); the value is a list of region
    codes. A code or an exact name typed without picking is accepted too; anything unknown is one
    field error naming it."""

    widget = RegionMultiPicker
    default_error_messages = {
        "unknown": _("Unknown region: %(names)s. Pick provinces or cities from the list."),
        "too_many": _("At most %(max)s regions."),
    }

    def __init__(self, *args, max_regions: int = 100, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_regions = max_regions

    def to_python(self, value):
        if value in (None, ""):
            return []
        items = split_region_text(value) if isinstance(value, str) else [str(item).strip() for item in value]
        items = [item[:MAX_QUERY] for item in items if item]
        if len(items) > self.max_regions:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": self.max_regions}
            )
        codes, unknown = [], []
        for item in items:
            region = find_region(item)
            if region is None or region.level not in (Region.Level.PROVINCE, Region.Level.CITY):
                unknown.append(item)
            elif region.code not in codes:
                codes.append(region.code)
        if unknown:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"names": "、".join(unknown[:5])}
            )
        return codes


@require_GET
def region_options_view(request):
    """/pickers/regions/?q=江苏 or ?parent=320000: regions as picker options (reference data,
    public like /api/v1/regions)."""
    parent = (request.GET.get("parent") or "").strip()[:16]
    if parent and not re.fullmatch(r"[0-9]{1,16}", parent):
        parent = "-"
    regions = regions_matching(request.GET.get("q") or "", parent=parent)
    return picker_response([region_option(region) for region in regions])


def picker_response(options: list[dict]) -> JsonResponse:
    return JsonResponse({"results": options}, json_dumps_params={"ensure_ascii": False})


# --- several of a few: tiers, partner types, product lines ------------------------------------------


class MultiSelect(forms.CheckboxSelectMultiple):
    """A dropdown of checkboxes showing the chosen labels (`<details>`, no script needed)."""

    template_name = "core/widgets/multi_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        chosen = {str(item) for item in (value or [])}
        context["widget"]["chosen_labels"] = [str(label) for key, label in self.choices if str(key) in chosen and key]
        context["widget"]["none_label"] = str(_("None chosen"))
        return context


# --- several records: chips ------------------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")
MAX_CHOSEN = 200  # values one multiple picker takes (a policy naming partners, SKUs, regions)


def typed_items(text: str) -> list[str]:
    """The values a person typed in a multi picker's text box without script: separated by commas
    (，、;) or lines; a piece with spaces is split at them too when it is a list of codes
    ("P000001 P000002"), the field tries it whole first (a name may hold a space)."""
    return [piece.strip() for piece in _LIST_SEPARATORS.split(text or "") if piece.strip()]


class MultiPickerWidget(forms.Widget):
    """Chips of the chosen records, each a hidden input with its value (`name`) and a remove
    button, and a search box (`name__search`) whose options add chips (pickers.js). Without script
    the chips are ticked checkboxes (untick one to drop it) and the box takes a typed list of codes
    or names separated by commas."""

    template_name = "core/widgets/multi_picker.html"

    field = None  # the MultiPickerField this widget belongs to

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        values = getlist(name) if getlist else data.get(name) or []
        if isinstance(values, str):
            values = [values]
        # a chip's value is a code or an id (a comma never is one): "A, B" posted as one value is two
        items = [item for value in values for item in typed_items(str(value))]
        items += typed_items(str(data.get(name + SEARCH_SUFFIX) or ""))
        # one more than the field takes, so that the field refuses too many (never drops them)
        return list(dict.fromkeys(items))[: MAX_CHOSEN + 1]

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty list is a choice (nothing), never "left as it was"

    def id_for_label(self, id_):
        return f"{id_}{SEARCH_SUFFIX}" if id_ else id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        field = self.field
        values = [str(item) for item in (value or []) if str(item).strip()]
        labels = field.labels_for(values) if field is not None else {}
        item = field.item if field is not None else None
        url = str(reverse(item.search_url_name)) if item is not None and item.search_url_name else ""
        if url and item.search_query:
            url += "?" + item.search_query
        widget = context["widget"]
        widget.update(
            {
                "chips": [(item_value, labels.get(item_value) or item_value) for item_value in values],
                "search_name": name + SEARCH_SUFFIX,
                "search_id": self.id_for_label(widget["attrs"].get("id")),
                "search_url": url,
                "placeholder": str(item.placeholder) if item is not None else "",
                "remove_label": str(_("Remove")),
            }
        )
        return context


class MultiPickerField(forms.Field):
    """Several records picked one by one (partners, SKUs, promotions, regions): `item` is the
    single picker that finds and resolves one; the cleaned value is the list of resolved values
    (without repeats, in the order chosen). Anything unknown or outside the user's scope is one
    field error naming what was not found; nothing is dropped silently."""

    widget = MultiPickerWidget
    default_error_messages = {
        "unknown": _("Not found among what you may choose: %(values)s."),
        "too_many": _("Choose at most %(max)s."),
    }

    def __init__(self, item: PickerField, *args, **kwargs):
        self.item = item
        super().__init__(*args, **kwargs)
        self.widget.field = self

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.item = copy.deepcopy(self.item, memo)
        result.widget.field = result
        return result

    @property
    def user(self):
        return self.item.user

    @user.setter
    def user(self, value):
        self.item.user = value

    def labels_for(self, values: list[str]) -> dict[str, str]:
        return {value: self.item.label_for(value) for value in values}

    def to_python(self, value):
        if value in (None, ""):
            return []
        items = [value] if isinstance(value, str) else list(value)
        # bounded before anything is looked up: each value costs queries, and the policy's live
        # preview posts the form on every change (a list typed with spaces counts each code)
        if sum(len(str(text)[:MAX_QUERY].split()) or 1 for text in items) > MAX_CHOSEN:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many", params={"max": MAX_CHOSEN})
        resolved, unknown = [], []
        for text in items:
            text = str(text).strip()[:MAX_QUERY]
            found = self.item.resolve(text) if text else None
            if found is None and " " in text:  # "P000001 P000002": a list typed with spaces
                pieces = [self.item.resolve(piece) for piece in text.split()]
                if all(piece is not None for piece in pieces):
                    resolved.extend(pieces)
                    continue
            if found is None:
                unknown.append(text)
            else:
                resolved.append(found)
        if unknown:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"values": "、".join(unknown)}
            )
        return list(dict.fromkeys(resolved))

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        if value in (None, ""):
            return []
        return [value] if isinstance(value, str) else list(value)
