"""The partner's catalogue on a phone (375 px wide) in a real browser: a partner finds its products,
enters quantities (kept across searches) and prices its order in place, with the exact total."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.pricing.tests.conftest import make_line, make_list, make_promo, make_sku

from .ui import assert_fits_phone, login, texts


def build_shop(world):
    """家电 > 厨电: HOOD-A (1,299.00), HOOD-B (2,000.00, gold: 10% off); 家电 > 洗衣机: WASH-A
    (3,000.00); 厨电: spend 5,000 get 300 off; SECRET-1 under a line nobody may buy."""
    from qudao.catalog.models import SalesScopeRule
    from qudao.partners.models import Tier
    from qudao.pricing.models import FloorPrice

    appliances = make_line("appliances", "家电")
    kitchen = make_line("kitchen", "厨电", appliances)
    washers = make_line("washers", "洗衣机", appliances)
    secret = make_line("secret", "秘密")
    skus = {
        "hood_a": make_sku("HOOD-A", kitchen, barcode="6900000000011"),
        "hood_b": make_sku("HOOD-B", kitchen, barcode="6900000000028"),
        "wash_a": make_sku("WASH-A", washers, barcode="6900000000035"),
        "secret": make_sku("SECRET-1", secret, barcode="6900000000999"),
    }
    SalesScopeRule.objects.create(effect="allow", product_line=appliances)
    base = make_list(
        "base",
        items=[
            (skus["hood_a"], "1299.00"),
            (skus["hood_b"], "2000.00"),
            (skus["wash_a"], "3000.00"),
            (skus["secret"], "10.00"),
        ],
    )
    FloorPrice.objects.create(sku=skus["hood_a"], price=Decimal("1100.00"), valid_from=base.valid_from)
    gold = Tier.objects.get(code="gold")
    make_promo("gold-10", "percent_off", tier=gold, sku=skus["hood_b"], value=10, stacking="stackable", group="A")
    make_promo(
        "kitchen-5000",
        "threshold",
        product_line=kitchen,
        threshold=Decimal("5000"),
        value=Decimal("300"),
        stacking="stackable",
        group="A",
    )
    return skus


def test_it_lets_a_partner_find_its_products_and_price_its_order_on_a_phone(live_server, open_page, world):
    # given the gold distributor dist_js with a small catalogue
    base = live_server.url
    skus = build_shop(world)
    phone = open_page("phone")

    # when its admin logs in on its phone and opens the catalogue
    login(phone, base, "dist_admin", PASSWORD)
    with phone.expect_navigation():
        phone.click("[data-testid=nav-catalog]")

    # then it sees the three products it may buy, with its own prices and promotions
    assert phone.url == f"{base}/portal/catalog/"
    cards = phone.locator("[data-testid=sku-card]")
    expect(cards).to_have_count(3)
    assert texts(phone, "[data-testid=sku-code]") == ["HOOD-A", "HOOD-B", "WASH-A"]
    assert texts(phone, "[data-testid=net-price]") == ["¥1,299.00", "¥1,800.00", "¥3,000.00"]
    assert texts(phone, "[data-testid=list-price]") == ["¥2,000.00"]
    assert texts(phone, "[data-testid=sku-card][data-code=HOOD-B] [data-testid=promo-badge]") == [
        "10% off",
        "spend ¥5,000.00 get ¥300.00 off",
    ]
    html = phone.content()
    assert "SECRET-1" not in html and "1,100.00" not in html
    assert_fits_phone(phone)

    # when it enters 1 WASH-A, then searches for its range hoods (htmx, as it types)
    phone.fill(f"#qty_{skus['wash_a'].pk}", "1")
    phone.fill("#id_q", "HOOD")

    # then only the hoods are listed, and the WASH-A quantity is kept in the order
    expect(cards).to_have_count(2)
    expect(phone.locator("[data-testid=carried]")).to_have_text("1 more product in your order.")
    assert phone.url == f"{base}/portal/catalog/?q=HOOD"

    # when it asks for 0 HOOD-A and prices the order
    phone.fill(f"#qty_{skus['hood_a'].pk}", "0")
    phone.fill(f"#qty_{skus['hood_b'].pk}", "1")
    phone.click("[data-testid=price-order]")

    # then the error is shown at HOOD-A, in place
    expect(phone.locator(f"#qty-error-{skus['hood_a'].pk}")).to_have_text("Enter a quantity of at least 1.")
    expect(phone.locator("[data-testid=quote-total]")).to_have_count(0)

    # when it corrects it to 2 and prices again
    phone.fill(f"#qty_{skus['hood_a'].pk}", "2")
    phone.click("[data-testid=price-order]")

    # then the waterfall of its three lines is shown in place, with the exact total and what it misses
    expect(phone.locator("[data-testid=quote-total]")).to_have_text("¥7,398.00")
    assert phone.url == f"{base}/portal/catalog/?q=HOOD"
    assert texts(phone, "[data-testid=quote-code]") == ["HOOD-A", "HOOD-B", "WASH-A"]
    assert texts(phone, "[data-testid=quote-line-total]") == ["¥2,598.00", "¥1,800.00", "¥3,000.00"]
    assert texts(phone, "[data-testid=not-applied] li") == [
        "Spend ¥602.00 more to get kitchen-5000 (spend ¥5,000.00 get ¥300.00 off)."
    ]
    expect(phone.locator(f"#qty-error-{skus['hood_a'].pk}")).to_be_empty()
    assert "1,100.00" not in phone.content()
    assert_fits_phone(phone)
