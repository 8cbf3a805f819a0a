"""Business rules of the catalog: product lines (a tree), products, SKUs, units, sales scope
rules, lifecycle, and the quantity rules every order line obeys.

Every function validates everything first and raises FieldErrors ({field: [messages]}) before
writing anything; writes happen in one transaction, so nothing is ever half-saved.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qudao.core.errors import FieldErrors
from qudao.core.models import Region
from qudao.core.numbers import parse_id
from qudao.core.validators import check_text
from qudao.partners.models import Partner, Tier

from .models import Lifecycle, Product, ProductImage, ProductLine, SalesScopeRule, Sku, UnitConversion

MAX_DEPTH = 6


def _text(data: dict, field: str, errors: FieldErrors, *, required: bool, max_length: int) -> str | None:
    value = data.get(field)
    if value is None:
        if required:
            errors.add(field, _("This field is required."))
        return None
    value = str(value).strip()
    if required and not value:
        errors.add(field, _("This field is required."))
    elif len(value) > max_length:
        errors.add(field, _("Use at most %(count)d characters.") % {"count": max_length})
    else:
        check_text(errors, field, value)
    return value


def _positive_int(data: dict, field: str, errors: FieldErrors, *, minimum: int = 1) -> int | None:
    value = data.get(field)
    if isinstance(value, bool) or value is None:
        errors.add(field, _("Enter a whole number."))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a whole number."))
        return None
    if number < minimum:
        errors.add(field, _("Enter a whole number of at least %(minimum)d.") % {"minimum": minimum})
        return None
    return number


def _decimal(data: dict, field: str, errors: FieldErrors, *, maximum: Decimal | None = None) -> Decimal | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, float | bool):
        errors.add(field, _('Send the amount as a string, e.g. "500000.00".'))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(field, _("Enter a number."))
        return None
    if not number.is_finite():
        errors.add(field, _("Enter a number."))
        return None
    if number < 0:
        errors.add(field, _("The value cannot be negative."))
        return None
    if maximum is not None and number > maximum:
        errors.add(field, _("The value is too large."))
        return None
    return number


def _lifecycle(data: dict, errors: FieldErrors) -> str | None:
    value = data.get("lifecycle")
    if value is None:
        return None
    if value not in Lifecycle.values:
        errors.add("lifecycle", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Lifecycle.values)})
        return None
    return value


def _line_ref(value, field: str, errors: FieldErrors) -> ProductLine | None:
    """A product line by id or code."""
    if value in (None, ""):
        return None
    line = None
    if isinstance(value, int) and not isinstance(value, bool):
        line = ProductLine.objects.filter(pk=value).first()
    elif isinstance(value, str):
        line = ProductLine.objects.filter(code=value.strip()).first()
        if line is None and parse_id(value) is not None:
            line = ProductLine.objects.filter(pk=parse_id(value)).first()
    if line is None:
        errors.add(field, _("No such product line."))
    return line


# --- product lines ---------------------------------------------------------------------------


def _clean_line(data: dict, instance: ProductLine | None = None) -> dict:
    errors = FieldErrors()
    creating = instance is None
    clean = {}
    if creating or "code" in data:
        code = _text(data, "code", errors, required=True, max_length=40)
        if code:
            from django.utils.text import slugify

            if slugify(code) != code:
                errors.add("code", _("Use lower-case letters, digits, hyphens and underscores only."))
            elif ProductLine.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
                errors.add("code", _("A product line with this code already exists."))
            clean["code"] = code
    if creating or "name" in data:
        clean["name"] = _text(data, "name", errors, required=True, max_length=60)
    if "parent" in data:
        parent = _line_ref(data.get("parent"), "parent", errors)
        if parent is not None and instance is not None:
            if parent.pk == instance.pk or parent.path.startswith(instance.path):
                errors.add("parent", _("A product line cannot be placed under itself or one of its sub-lines."))
        if parent is not None and parent.depth + 1 >= MAX_DEPTH:
            errors.add(
                "parent", _("The product-line tree cannot be deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            )
        clean["parent"] = parent
    if "sort_order" in data and data["sort_order"] is not None:
        clean["sort_order"] = _positive_int(data, "sort_order", errors, minimum=0)
    if "is_active" in data and data["is_active"] is not None:
        if not isinstance(data["is_active"], bool):
            errors.add("is_active", _("Must be true or false."))
        clean["is_active"] = data["is_active"]
    if errors.errors:
        raise errors
    return clean


def _set_path(line: ProductLine) -> None:
    parent = line.parent
    line.path = f"{parent.path if parent else '/'}{line.pk}/"
    line.depth = parent.depth + 1 if parent else 0


@transaction.atomic
def create_product_line(*, data: dict) -> ProductLine:
    clean = _clean_line(data)
    line = ProductLine.objects.create(**clean)
    _set_path(line)
    line.save(update_fields=["path", "depth"])
    return line


@transaction.atomic
def update_product_line(*, line: ProductLine, data: dict) -> ProductLine:
    """Change a line; moving it under another parent moves its whole subtree (paths rewritten)."""
    clean = _clean_line(data, instance=line)
    old_path = line.path
    for field, value in clean.items():
        setattr(line, field, value)
    _set_path(line)
    line.save()
    if line.path != old_path:
        for child in ProductLine.objects.filter(path__startswith=old_path).exclude(pk=line.pk).order_by("depth"):
            child.path = line.path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])
    return line


# --- products --------------------------------------------------------------------------------


def _clean_product(data: dict, instance: Product | None = None) -> dict:
    errors = FieldErrors()
    creating = instance is None
    clean = {}
    if creating or "code" in data:
        code = _text(data, "code", errors, required=True, max_length=40)
        if code and Product.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors.add("code", _("A product with this code already exists."))
        clean["code"] = code
    if creating or "name" in data:
        clean["name"] = _text(data, "name", errors, required=True, max_length=120)
    if creating or "product_line" in data:
        line = _line_ref(data.get("product_line"), "product_line", errors)
        if line is None and not errors.errors.get("product_line"):
            errors.add("product_line", _("This field is required."))
        clean["product_line"] = line
    if "description" in data and data["description"] is not None:
        clean["description"] = _text(data, "description", errors, required=False, max_length=5000)
    if "base_unit" in data and data["base_unit"] is not None:
        clean["base_unit"] = _text(data, "base_unit", errors, required=True, max_length=10)
    if "tax_rate" in data and data["tax_rate"] is not None:
        rate = _decimal(data, "tax_rate", errors, maximum=Decimal("1"))
        if rate is not None:
            if rate.as_tuple().exponent < -4:
                errors.add("tax_rate", _("Give the tax rate as a fraction with at most 4 decimals, e.g. 0.13."))
            clean["tax_rate"] = rate
    lifecycle = _lifecycle(data, errors)
    if lifecycle:
        clean["lifecycle"] = lifecycle
    if errors.errors:
        raise errors
    return clean


@transaction.atomic
def create_product(*, data: dict) -> Product:
    return Product.objects.create(**_clean_product(data))


@transaction.atomic
def update_product(*, product: Product, data: dict) -> Product:
    for field, value in _clean_product(data, instance=product).items():
        setattr(product, field, value)
    product.save()
    return product


# --- SKUs ------------------------------------------------------------------------------------


def _clean_sku(data: dict, instance: Sku | None = None) -> dict:
    errors = FieldErrors()
    creating = instance is None
    clean = {}
    pk = getattr(instance, "pk", None)
    if creating:
        product = data.get("product")
        if not isinstance(product, Product):
            product_id = product
            product = None
            if isinstance(product_id, str):
                product = Product.objects.filter(code=product_id.strip()).first()
            elif isinstance(product_id, int) and not isinstance(product_id, bool):
                product = Product.objects.filter(pk=product_id).first()
            if product is None:
                errors.add("product", _("No such product."))
        clean["product"] = product
    if creating or "code" in data:
        code = _text(data, "code", errors, required=True, max_length=40)
        if code and Sku.objects.filter(code=code).exclude(pk=pk).exists():
            errors.add("code", _("A SKU with this code already exists."))
        clean["code"] = code
    if "barcode" in data:
        barcode = (str(data["barcode"]).strip() if data["barcode"] is not None else "") or None
        if barcode is not None:
            if len(barcode) > 32 or not barcode.isdigit():
                errors.add("barcode", _("A barcode is up to 32 digits."))
            elif Sku.objects.filter(barcode=barcode).exclude(pk=pk).exists():
                errors.add("barcode", _("Another SKU has this barcode."))
        clean["barcode"] = barcode
    if creating or "name" in data:
        clean["name"] = _text(data, "name", errors, required=True, max_length=160)
    if "attributes" in data and data["attributes"] is not None:
        attributes = data["attributes"]
        if not isinstance(attributes, dict) or not all(
            isinstance(key, str) and isinstance(value, str) and key.strip() for key, value in attributes.items()
        ):
            errors.add("attributes", _('Give the specification as names and texts, e.g. {"颜色": "银色"}.'))
        else:
            clean["attributes"] = {key.strip(): value.strip() for key, value in attributes.items()}
    if "cost_price" in data:
        clean["cost_price"] = _decimal(data, "cost_price", errors, maximum=Decimal("9999999999999999"))
    for field in ("min_order_qty", "order_multiple"):
        if field in data and data[field] is not None:
            clean[field] = _positive_int(data, field, errors, minimum=1)
    lifecycle = _lifecycle(data, errors)
    if lifecycle:
        clean["lifecycle"] = lifecycle
    if errors.errors:
        raise errors
    return clean


@transaction.atomic
def create_sku(*, data: dict) -> Sku:
    return Sku.objects.create(**_clean_sku(data))


@transaction.atomic
def update_sku(*, sku: Sku, data: dict) -> Sku:
    for field, value in _clean_sku(data, instance=sku).items():
        setattr(sku, field, value)
    sku.save()
    return sku


def set_lifecycle(*, obj: Product | Sku, lifecycle: str) -> Product | Sku:
    """Draft, on sale or discontinued, for a product or a SKU."""
    errors = FieldErrors()
    value = _lifecycle({"lifecycle": lifecycle}, errors)
    if errors.errors:
        raise errors
    obj.lifecycle = value
    obj.save()
    return obj


# --- units -----------------------------------------------------------------------------------


@transaction.atomic
def add_unit(*, product: Product, data: dict) -> UnitConversion:
    """An ordering unit of the product: 1 <unit> = <factor> base units (箱 = 12 件)."""
    errors = FieldErrors()
    unit = _text(data, "unit", errors, required=True, max_length=10)
    factor = _positive_int(data, "factor", errors, minimum=1)
    if unit:
        if unit == product.base_unit:
            errors.add("unit", _("This is the product's base unit already."))
        elif product.units.filter(unit=unit).exists():
            errors.add("unit", _("This product has this unit already."))
    if errors.errors:
        raise errors
    return UnitConversion.objects.create(product=product, unit=unit, factor=factor)


@transaction.atomic
def delete_unit(*, unit: UnitConversion) -> None:
    unit.delete()


def convert_quantity(sku: Sku, quantity, unit: str | None = None) -> int:
    """`quantity` of `unit` (the base unit if None) in base units: 3 箱 with 箱 = 12 件 -> 36.

    :raises FieldErrors: quantity not a positive whole number; a unit the product does not have.
    """
    errors = FieldErrors()
    number = _positive_int({"quantity": quantity}, "quantity", errors, minimum=1)
    factor = 1
    product = sku.product
    if unit not in (None, "", product.base_unit):
        conversion = UnitConversion.objects.filter(product_id=product.pk, unit=unit).first()
        if conversion is None:
            errors.add(
                "unit",
                _("%(unit)s does not convert to %(base)s for this product.")
                % {"unit": unit, "base": product.base_unit},
            )
        else:
            factor = conversion.factor
    if errors.errors:
        raise errors
    return number * factor


def check_order_quantity(sku: Sku, base_qty: int) -> None:
    """:raises FieldErrors: below the SKU's minimum order quantity, or not a multiple of its order multiple."""
    errors = FieldErrors()
    if isinstance(base_qty, bool) or not isinstance(base_qty, int) or base_qty < 1:
        errors.add("quantity", _("Enter a whole number of at least %(minimum)d.") % {"minimum": 1})
    elif base_qty < sku.min_order_qty:
        errors.add(
            "quantity",
            _("Order at least %(minimum)d %(unit)s of %(sku)s.")
            % {"minimum": sku.min_order_qty, "unit": sku.product.base_unit, "sku": sku.code},
        )
    elif base_qty % sku.order_multiple:
        errors.add(
            "quantity",
            _("Order %(sku)s in multiples of %(multiple)d %(unit)s.")
            % {"multiple": sku.order_multiple, "unit": sku.product.base_unit, "sku": sku.code},
        )
    if errors.errors:
        raise errors


# --- sales scope rules -----------------------------------------------------------------------


@transaction.atomic
def create_scope_rule(*, data: dict) -> SalesScopeRule:
    """Allow or deny a product line or one SKU to everyone, a tier, a region, a tier in a region,
    or one partner (see catalog.scope for the precedence)."""
    errors = FieldErrors()
    effect = data.get("effect") or SalesScopeRule.Effect.ALLOW
    if effect not in SalesScopeRule.Effect.values:
        errors.add("effect", _("Choose one of: %(choices)s.") % {"choices": ", ".join(SalesScopeRule.Effect.values)})
    line = _line_ref(data.get("product_line"), "product_line", errors)
    sku = None
    sku_ref = data.get("sku")
    if sku_ref not in (None, ""):
        sku = (
            Sku.objects.filter(code=sku_ref).first()
            if isinstance(sku_ref, str)
            else Sku.objects.filter(pk=sku_ref).first()
        )
        if sku is None:
            errors.add("sku", _("No such SKU."))
    if data.get("product_line") in (None, "") and sku_ref in (None, ""):
        errors.add("product_line", _("Name a product line or a SKU."))
    elif data.get("product_line") not in (None, "") and sku_ref not in (None, ""):
        errors.add("sku", _("Name a product line or a SKU, not both."))
    tier = region = partner = None
    if data.get("tier") not in (None, ""):
        ref = data["tier"]
        tier = Tier.objects.filter(code=ref).first() if isinstance(ref, str) else Tier.objects.filter(pk=ref).first()
        if tier is None:
            errors.add("tier", _("No such tier."))
    if data.get("region") not in (None, ""):
        region = Region.objects.filter(code=str(data["region"])).first()
        if region is None:
            errors.add("region", _("No such region."))
    if data.get("partner") not in (None, ""):
        ref = data["partner"]
        partner = (
            Partner.objects.filter(code=ref).first() if isinstance(ref, str) else Partner.objects.filter(pk=ref).first()
        )
        if partner is None:
            errors.add("partner", _("No such partner."))
        elif data.get("tier") not in (None, "") or data.get("region") not in (None, ""):
            errors.add("partner", _("A rule for one partner names no tier or region."))
    note = _text(data, "note", errors, required=False, max_length=200) or ""
    if errors.errors:
        raise errors
    return SalesScopeRule.objects.create(
        effect=effect, product_line=line, sku=sku, tier=tier, region=region, partner=partner, note=note
    )


@transaction.atomic
def delete_scope_rule(*, rule: SalesScopeRule) -> None:
    rule.delete()


# --- images ----------------------------------------------------------------------------------

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@transaction.atomic
def add_image(*, product: Product, upload) -> ProductImage:
    """A product picture: a JPEG, PNG or WebP image of at most 5 MB.

    :raises FieldErrors: on "image"."""
    from PIL import Image, UnidentifiedImageError

    if upload is None:
        raise FieldErrors.single("image", _("Choose an image."))
    if (getattr(upload, "size", 0) or 0) > IMAGE_MAX_BYTES:
        raise FieldErrors.single("image", _("The image is too large. The limit is 5 MB."))
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise FieldErrors.single("image", _("Upload a JPEG, PNG or WebP image.")) from None
    if kind not in IMAGE_FORMATS:
        raise FieldErrors.single("image", _("Upload a JPEG, PNG or WebP image."))
    upload.seek(0)
    position = (product.images.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0) + 1
    image = ProductImage(product=product, sort_order=position)
    image.image.save(f"image.{IMAGE_FORMATS[kind]}", upload, save=False)
    image.save()
    return image


@transaction.atomic
def delete_image(*, image: ProductImage) -> None:
    image.image.delete(save=False)
    image.delete()
