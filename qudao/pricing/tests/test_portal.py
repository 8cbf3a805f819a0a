"""The partner's catalogue in the portal: exactly the SKUs its sales scope allows, its own net prices
and promotions, and "price my order" (the waterfall), never another tier's price, a floor price, a
cost price or the base price a rule was computed from."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qudao.pricing.tests.conftest import make_line, make_list, make_promo, make_sku

CATALOG = "/portal/catalog/"
QUOTE = "/portal/catalog/quote/"


@pytest.fixture
def shop(world, catalogue):
    """The pricing catalogue, dressed for the portal:

    HOOD-A 侧吸式油烟机 银色 (barcode 6900000000011): gold list 1,250.00, silver list 1,270.00,
        floor 1,000.00, cost 888.88, min order 2 in multiples of 2, 箱 = 6 件
    HOOD-B 顶吸式油烟机 黑色 (barcode 6900000000028): base 2,000.00; gold: 10% off (stackable, group A)
    WASH-A 滚筒洗衣机 (barcode 6900000000035, product P-WASH-A): gold rule 95% of base (3,000.00) -> 2,850.00;
        ¥50.00 off per unit, 5 per partner (2 taken), 10 in all (4 used)
    SECRET-1 (barcode 6900000000999) under a line nobody may buy
    厨电 (kitchen): spend 5,000 get 300 off (stackable, group A), for everyone
    silver only: 5% off everything
    """
    from qudao.catalog.models import Product, Sku, UnitConversion
    from qudao.partners.models import Tier
    from qudao.pricing.models import FloorPrice, PriceListRule, PromotionUsage

    skus = catalogue.skus
    gold, silver = Tier.objects.get(code="gold"), Tier.objects.get(code="silver")
    names = {
        "hood_a": ("侧吸式油烟机 银色", "6900000000011", {"颜色": "银色"}),
        "hood_b": ("顶吸式油烟机 黑色", "6900000000028", {}),
        "wash_a": ("滚筒洗衣机", "6900000000035", {"容量": "10kg"}),
    }
    for key, (name, barcode, attributes) in names.items():
        Sku.objects.filter(pk=skus[key].pk).update(name=name, barcode=barcode, attributes=attributes)
        Product.objects.filter(pk=skus[key].product_id).update(name=name.split(" ")[0])
    Sku.objects.filter(pk=skus["hood_a"].pk).update(cost_price=Decimal("888.88"), min_order_qty=2, order_multiple=2)
    UnitConversion.objects.create(product_id=skus["hood_a"].product_id, unit="箱", factor=6)
    secret_line = make_line("secret", "秘密")
    skus["secret"] = make_sku("SECRET-1", secret_line, barcode="6900000000999")
    Sku.objects.filter(pk=skus["secret"].pk).update(name="秘密产品")
    make_list("gold", tier=gold, items=[(skus["hood_a"], "1250.00")])
    make_list("silver", tier=silver, items=[(skus["hood_a"], "1270.00"), (skus["secret"], "10.00")])
    rule_list = make_list("gold-rule", tier=gold, priority=-1)
    PriceListRule.objects.create(
        price_list=rule_list, product_line=catalogue.lines["washers"], method="percent_of_base", value=95, rounding="1"
    )
    FloorPrice.objects.create(sku=skus["hood_a"], price=Decimal("1000.00"), valid_from=catalogue.base.valid_from)
    make_promo("gold-10", "percent_off", tier=gold, sku=skus["hood_b"], value=10, stacking="stackable", group="A")
    make_promo(
        "kitchen-5000",
        "threshold",
        product_line=catalogue.lines["kitchen"],
        threshold=Decimal("5000"),
        value=Decimal("300"),
        stacking="stackable",
        group="A",
    )
    make_promo("silver-5", "percent_off", tier=silver, value=5)
    wash = make_promo(
        "wash-50",
        "amount_off",
        sku=skus["wash_a"],
        value=Decimal("50"),
        partner_cap_qty=5,
        budget_qty=10,
    )
    type(wash).objects.filter(pk=wash.pk).update(used_qty=4)
    for reference, entry, quantity in (("SO-1", "reserve", 3), ("SO-1", "release", -3), ("SO-2", "reserve", 2)):
        PromotionUsage.objects.create(
            promotion=wash,
            partner=world.dist_js,
            reference=reference,
            entry=entry,
            quantity=quantity,
            amount=Decimal(50 * quantity),
        )
    for key in list(skus):
        skus[key].refresh_from_db()
    return catalogue


def codes(response) -> list[str]:
    return re.findall(r'data-testid="sku-card" data-code="([^"]+)"', response.content.decode())


def card(response, code: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-code="{code}"')
    end = html.find('data-testid="sku-card"', start + 1)
    return html[start : end if end > 0 else len(html)]


def test_it_lists_exactly_the_skus_the_partner_may_buy_and_finds_them_by_name_code_and_barcode(
    shop, world, page_client
):
    # given a gold distributor's user
    client = page_client(world.dist_admin)

    # when it opens its catalogue
    response = client.get(CATALOG)

    # then it sees the three SKUs its sales scope allows, by product line then code, and never SECRET-1
    assert response.status_code == 200
    assert codes(response) == ["HOOD-A", "HOOD-B", "WASH-A"]
    assert "SECRET-1" not in response.content.decode()
    assert "秘密" not in response.content.decode()
    assert 'data-testid="nav-catalog"' in response.content.decode()
    # and the lines it may filter by: its lines with the lines above them, indented by depth
    html = response.content.decode()
    assert re.findall(r'<option value="(\d+)">([^<]*)</option>', html) == [
        (str(shop.lines["appliances"].pk), "家电"),
        (str(shop.lines["kitchen"].pk), "\u2003厨电"),
        (str(shop.lines["hoods"].pk), "\u2003\u2003油烟机"),
        (str(shop.lines["washers"].pk), "\u2003洗衣机"),
    ]

    # when it searches by exact code and barcode of the SKU it may not buy
    # then nothing is found
    for query in ("SECRET-1", "6900000000999", "secret"):
        found = client.get(CATALOG, {"q": query})
        assert found.status_code == 200
        assert codes(found) == []
        assert f"No product matches “{query}”." in found.content.decode()
        assert "秘密产品" not in found.content.decode()

    # when it searches by SKU name, SKU code (any case), product code and barcode
    # then it finds exactly the matching SKUs
    assert codes(client.get(CATALOG, {"q": "银色"})) == ["HOOD-A"]
    assert codes(client.get(CATALOG, {"q": "hood-b"})) == ["HOOD-B"]
    assert codes(client.get(CATALOG, {"q": "P-WASH"})) == ["WASH-A"]
    assert codes(client.get(CATALOG, {"q": "0000000028"})) == ["HOOD-B"]
    assert codes(client.get(CATALOG, {"q": "油烟机"})) == ["HOOD-A", "HOOD-B"]

    # when it filters by 厨电, the line above 油烟机, and by 洗衣机
    # then it gets the SKUs of the line and the lines below it
    assert codes(client.get(CATALOG, {"line": shop.lines["kitchen"].pk})) == ["HOOD-A", "HOOD-B"]
    assert codes(client.get(CATALOG, {"line": shop.lines["washers"].pk})) == ["WASH-A"]
    assert codes(client.get(CATALOG, {"line": shop.lines["kitchen"].pk, "q": "黑色"})) == ["HOOD-B"]

    # when the search comes from htmx
    partial = client.get(CATALOG, {"q": "hood"}, headers={"HX-Request": "true", "HX-Target": "catalog-results"})

    # then only the list is sent, and the address bar gets the search
    assert partial.status_code == 200
    assert codes(partial) == ["HOOD-A", "HOOD-B"]
    assert "portal-tabbar" not in partial.content.decode()
    assert partial["HX-Push-Url"] == "/portal/catalog/?q=hood"


def test_it_shows_the_partner_its_own_net_prices_and_promotions_and_nothing_it_must_not_see(shop, world, page_client):
    # given a gold distributor's user
    client = page_client(world.dist_staff)

    # when it opens its catalogue
    response = client.get(CATALOG)
    html = response.content.decode()

    # then each SKU shows its own tier's net price, with the list price struck through when a promotion lowered it
    assert response.status_code == 200
    hood_a, hood_b, wash_a = card(response, "HOOD-A"), card(response, "HOOD-B"), card(response, "WASH-A")
    assert '<strong data-testid="net-price">¥1,250.00</strong>' in hood_a
    assert 'data-testid="list-price"' not in hood_a
    assert '<strong data-testid="net-price">¥1,800.00</strong>' in hood_b
    assert '<s class="pt-muted" data-testid="list-price">¥2,000.00</s>' in hood_b
    assert '<strong data-testid="net-price">¥2,800.00</strong>' in wash_a
    assert '<s class="pt-muted" data-testid="list-price">¥2,850.00</s>' in wash_a
    # and the badges of the promotions open to it, exactly
    assert re.findall(r'data-testid="promo-badge" title="[^"]*">([^<]*)<', hood_a) == [
        "spend ¥5,000.00 get ¥300.00 off"
    ]
    assert re.findall(r'data-testid="promo-badge" title="[^"]*">([^<]*)<', hood_b) == [
        "10% off",
        "spend ¥5,000.00 get ¥300.00 off",
    ]
    assert re.findall(r'data-testid="promo-badge" title="[^"]*">([^<]*)<', wash_a) == [
        "¥50.00 off per unit · limited: 3 left for you"
    ]
    # and the facts of each SKU
    assert '<dd data-testid="sku-spec">颜色: 银色</dd>' in hood_a
    assert '<dd data-testid="sku-barcode">6900000000011</dd>' in hood_a
    assert '<dd data-testid="sku-units">件; 箱 = 6 件</dd>' in hood_a
    assert '<dd data-testid="sku-order-rule">at least 2 件, in multiples of 2</dd>' in hood_a

    # and never another tier's price, the base price a rule was computed from, a floor or a cost price
    for hidden in (
        "1,270.00",
        "1270.00",
        "1,299.00",
        "1299.00",
        "3,000.00",
        "3000.00",
        "1,000.00",
        "1000.00",
        "888.88",
    ):
        assert hidden not in html, hidden
    assert "5% off" not in html  # the silver tier's promotion
    assert "floor" not in html.lower()


def test_it_says_price_on_request_for_a_sku_without_a_price_and_shows_its_pictures(shop, world, page_client):
    from PIL import Image

    from qudao.catalog import services
    from qudao.pricing.models import PriceListItem

    # given HOOD-B has no price for anyone any more, and HOOD-A's product has a picture
    PriceListItem.objects.filter(sku=shop.skus["hood_b"]).delete()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    image = services.add_image(
        product=shop.skus["hood_a"].product,
        upload=SimpleUploadedFile("hood.png", buffer.getvalue(), content_type="image/png"),
    )
    client = page_client(world.dist_admin)

    # when the partner opens its catalogue
    response = client.get(CATALOG)

    # then HOOD-B reads "Price on request", and HOOD-A shows its picture, which the partner may load
    assert '<strong data-testid="price-on-request">Price on request</strong>' in card(response, "HOOD-B")
    assert f'src="/catalog/images/{image.pk}/"' in card(response, "HOOD-A")
    assert client.get(f"/catalog/images/{image.pk}/").status_code == 200


def test_it_prices_a_page_of_the_catalogue_in_a_constant_number_of_queries(shop, world, page_client):
    from qudao.pricing.models import PriceListItem

    # given a partner's catalogue of 3 SKUs, then of 25
    client = page_client(world.dist_admin)
    client.get(CATALOG)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(CATALOG).status_code == 200
    for number in range(22):
        sku = make_sku(f"WASH-X{number:02}", shop.lines["washers"])
        PriceListItem.objects.create(price_list=shop.base, sku=sku, price=Decimal("100.00"))

    # when it opens the first page (20 SKUs)
    with CaptureQueriesContext(connection) as large:
        response = client.get(CATALOG)

    # then the page costs as many queries as the page of 3
    assert response.status_code == 200
    assert len(codes(response)) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


def test_it_prices_the_partners_order_line_by_line_with_the_promotions_in_words(shop, world, page_client):
    client = page_client(world.dist_admin)
    hood_a, hood_b = shop.skus["hood_a"], shop.skus["hood_b"]

    # when the partner prices 2 HOOD-A and 1 HOOD-B (htmx), leaving WASH-A empty
    response = client.post(
        QUOTE,
        {f"qty_{hood_a.pk}": "2", f"qty_{hood_b.pk}": "1", f"qty_{shop.skus['wash_a'].pk}": ""},
        headers={"HX-Request": "true", "HX-Target": "quote"},
    )
    html = response.content.decode()

    # then the waterfall shows its own list prices, the promotion applied, the line totals and the total
    assert response.status_code == 200
    assert re.findall(r'data-testid="quote-code">([^<]+)<', html) == ["HOOD-A", "HOOD-B"]
    assert re.findall(r'data-testid="quote-list-price">([^<]+)<', html) == ["¥1,250.00", "¥2,000.00"]
    assert re.findall(r'data-testid="quote-promotion-amount">([^<]+)<', html) == ["−¥200.00"]
    assert re.findall(r'data-testid="quote-net-price">([^<]+)<', html) == ["¥1,250.00", "¥1,800.00"]
    assert re.findall(r'data-testid="quote-line-total">([^<]+)<', html) == ["¥2,500.00", "¥1,800.00"]
    assert '<strong data-testid="quote-total">¥4,300.00</strong>' in html
    # and the threshold it has not reached, with how much is missing
    assert re.findall(r'<ul class="pt-wf-notes" data-testid="not-applied"><li>([^<]+)</li>', html) == [
        "Spend ¥700.00 more to get kitchen-5000 (spend ¥5,000.00 get ¥300.00 off)."
    ]
    # and no error, and the error slots in the list are cleared
    assert 'data-testid="quote-errors"' not in html
    assert f'id="qty-error-{hood_a.pk}" hx-swap-oob="true"' in html
    for hidden in ("1,270.00", "1,000.00", "888.88", "1,299.00"):
        assert hidden not in html

    # when it orders 4 HOOD-A instead (5,000.00 + 1,800.00 reaches the threshold), without JavaScript
    response = client.post(QUOTE, {f"qty_{hood_a.pk}": "4", f"qty_{hood_b.pk}": "1"})
    html = response.content.decode()

    # then a full page shows the 300.00 off shared between the lines to the cent, and the quantities to change
    assert response.status_code == 200
    assert "portal-tabbar" in html
    assert re.findall(r'data-testid="quote-line-total">([^<]+)<', html) == ["¥4,779.41", "¥1,720.59"]
    assert '<strong data-testid="quote-total">¥6,500.00</strong>' in html
    assert 'data-testid="not-applied"' not in html
    assert f'name="qty_{hood_a.pk}" id="qty_{hood_a.pk}" value="4"' in html
    back = f"/portal/catalog/?qty_{hood_a.pk}=4&qty_{hood_b.pk}=1"
    assert f'href="{back.replace("&", "&amp;")}"' in html

    # when it goes back to the catalogue
    response = client.get(back)

    # then its quantities are still there
    assert f'name="qty_{hood_a.pk}" id="qty_{hood_a.pk}" value="4"' in card(response, "HOOD-A")
    assert f'name="qty_{hood_b.pk}" id="qty_{hood_b.pk}" value="1"' in card(response, "HOOD-B")


def test_it_shows_a_wrong_quantity_next_to_its_sku_and_prices_nothing(shop, world, page_client):
    client = page_client(world.dist_admin)
    hood_a, hood_b, secret = shop.skus["hood_a"], shop.skus["hood_b"], shop.skus["secret"]

    # when the partner asks for 0 HOOD-A and 1 HOOD-B (htmx)
    response = client.post(
        QUOTE, {f"qty_{hood_a.pk}": "0", f"qty_{hood_b.pk}": "1"}, headers={"HX-Request": "true", "HX-Target": "quote"}
    )
    html = response.content.decode()

    # then the error is at HOOD-A, HOOD-B's slot is cleared, and there is no total
    assert response.status_code == 200
    assert (
        f'<div class="pt-error" id="qty-error-{hood_a.pk}" hx-swap-oob="true" role="alert" data-testid="qty-error">'
        "<p>Enter a quantity of at least 1.</p></div>"
    ) in html
    assert (
        f'<div class="pt-error" id="qty-error-{hood_b.pk}" hx-swap-oob="true" role="alert" data-testid="qty-error">'
        "</div>"
    ) in html
    assert re.findall(r'data-testid="quote-error">([^<]+)<', html) == ["HOOD-A: Enter a quantity of at least 1."]
    assert 'data-testid="quote-total"' not in html

    # when it posts a SKU it may not buy, and a quantity that is not a whole number, without JavaScript
    response = client.post(QUOTE, {f"qty_{secret.pk}": "1", f"qty_{hood_b.pk}": "1.5"})
    html = response.content.decode()

    # then both are refused at their line, and nothing about the other SKU is told
    assert response.status_code == 200
    assert re.findall(r'data-testid="quote-error">([^<]+)<', html) == [
        "HOOD-B: Enter a whole number.",
        "This SKU is not available to this partner.",
    ]
    assert "SECRET-1" not in html
    assert "10.00" not in html

    # when it asks for 1 HOOD-A (it must order at least 2) and HOOD-B in boxes (HOOD-B has no boxes)
    response = client.post(
        QUOTE,
        {f"qty_{hood_a.pk}": "1", f"qty_{hood_b.pk}": "1", f"unit_{hood_b.pk}": "箱"},
        headers={"HX-Request": "true", "HX-Target": "quote"},
    )
    html = response.content.decode()

    # then each line says what is wrong with it
    assert response.status_code == 200
    assert re.findall(r'data-testid="quote-error">([^<]+)<', html) == [
        "HOOD-A: Order at least 2 件 of HOOD-A.",
        "HOOD-B: This unit does not convert for this product.",
    ]

    # when it orders HOOD-A by the box (箱 = 6 件)
    response = client.post(QUOTE, {f"qty_{hood_a.pk}": "1", f"unit_{hood_a.pk}": "箱"})

    # then the box is priced as 6 units: 6 × 1,250.00 = 7,500.00, less 300.00 for reaching 5,000.00
    html = response.content.decode()
    assert re.findall(r'data-testid="quote-line-total">([^<]+)<', html) == ["¥7,200.00"]
    assert re.findall(r'data-testid="quote-quantity">([^<]+)<', html) == ["1 箱 (6 件)"]

    # when it posts nothing
    response = client.post(QUOTE, {f"qty_{hood_a.pk}": ""})

    # then it is asked for a quantity
    assert response.status_code == 200
    assert "Enter a quantity for at least one product." in response.content.decode()


def test_it_sends_hq_users_home_and_anonymous_visitors_to_log_in(shop, world, page_client):
    # when an HQ user and an anonymous visitor open the catalogue and post a quote
    for path, method in ((CATALOG, "get"), (QUOTE, "post")):
        hq = getattr(page_client(world.admin), method)(path)
        anonymous = getattr(page_client(), method)(path)

        # then the HQ user goes to its home page and the visitor to the log-in page
        assert hq.status_code == 302
        assert hq["Location"] == "/"
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/login/?next=")


def test_it_shows_gifts_limits_next_steps_and_clashes_in_words_without_naming_the_winner(shop, world, page_client):
    from qudao.pricing.models import PromotionUsage

    # given, besides the shop's promotions: buy 2 HOOD-B get 1 free; 厨电 tiers (3,000 -> 100 off,
    # 8,000 -> 400 off); and 洗衣机 tiers, exclusive, which clash with WASH-A's exclusive ¥50.00 off
    kitchen, washers = shop.lines["kitchen"], shop.lines["washers"]
    hood_b, wash_a = shop.skus["hood_b"], shop.skus["wash_a"]
    make_promo(
        "hood-b-gift", "buy_x_get_y", sku=hood_b, buy_qty=2, gift_qty=1, per_each=True, stacking="stackable", group="A"
    )
    make_promo(
        "kitchen-tiers",
        "tiered_threshold",
        product_line=kitchen,
        tiers=[["3000", "100"], ["8000", "400"]],
        stacking="stackable",
        group="A",
    )
    make_promo("wash-tiers", "tiered_threshold", product_line=washers, tiers=[["5000", "200"]])
    client = page_client(world.dist_admin)

    # when the partner prices 2 HOOD-B and 4 WASH-A (3 left of its WASH-A limit)
    response = client.post(QUOTE, {f"qty_{hood_b.pk}": "2", f"qty_{wash_a.pk}": "4"})
    html = response.content.decode()

    # then HOOD-B gets 10% off and the first 厨电 step, WASH-A ¥50.00 off on 3 units only
    assert response.status_code == 200
    assert re.findall(r'data-testid="quote-line-total">([^<]+)<', html) == ["¥3,500.00", "¥11,250.00"]
    assert re.findall(r'data-testid="quote-promotion-amount">([^<]+)<', html) == ["−¥400.00", "−¥100.00", "−¥150.00"]
    assert re.findall(r'data-testid="quote-limited-to">([^<]+)<', html) == ["(on 3 units: the limit)"]
    assert '<strong data-testid="quote-total">¥14,750.00</strong>' in html
    # and one HOOD-B as a gift, at ¥0.00
    assert re.findall(r'data-testid="quote-gift" data-code="([^"]+)"', html) == ["HOOD-B"]
    assert '<dd data-testid="quote-gift-total">¥0.00</dd>' in html
    # and the next step, the threshold not reached and the clash, in words
    assert re.findall(r'data-testid="next-steps"><li>([^<]+)</li>', html) == [
        "¥4,400.00 more for the next step of kitchen-tiers."
    ]
    notes = re.search(r'data-testid="not-applied">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<li>([^<]+)</li>", notes) == [
        "Spend ¥1,400.00 more to get kitchen-5000 (spend ¥5,000.00 get ¥300.00 off).",
        "wash-tiers: not applied, a better offer already applies to these products.",
    ]
    assert "wash-50" not in notes
    # and the quote reserves nothing
    assert PromotionUsage.objects.filter(reference__startswith="SO-").count() == 3
    assert PromotionUsage.objects.count() == 3


def test_it_never_offers_a_bundle_or_a_gift_with_a_sku_the_partner_may_not_buy(shop, world, page_client):
    # given two bundles and two gifts, one of each with SECRET-1, which the partner may not buy
    hood_a, hood_b, wash_a, secret = (shop.skus[key] for key in ("hood_a", "hood_b", "wash_a", "secret"))
    make_promo("set-ok", "bundle", bundle_items=[[hood_a.pk, 2], [wash_a.pk, 1]], value=Decimal("5200"))
    make_promo("set-secret", "bundle", bundle_items=[[hood_a.pk, 2], [secret.pk, 1]], value=Decimal("2000"))
    make_promo("gift-ok", "buy_x_get_y", sku=wash_a, buy_qty=2, gift_qty=1, gift_sku=hood_b)
    make_promo("gift-secret", "buy_x_get_y", sku=hood_b, buy_qty=1, gift_qty=1, gift_sku=secret)

    # when the partner opens its catalogue
    response = page_client(world.dist_admin).get(CATALOG)
    html = response.content.decode()

    # then it is offered the bundle and the gift it can have, and nothing about SECRET-1
    badges = r'data-testid="promo-badge" title="[^"]*">([^<]*)<'
    assert re.findall(badges, card(response, "HOOD-A")) == ["spend ¥5,000.00 get ¥300.00 off", "bundle ¥5,200.00"]
    assert re.findall(badges, card(response, "HOOD-B")) == ["10% off", "spend ¥5,000.00 get ¥300.00 off"]
    assert re.findall(badges, card(response, "WASH-A")) == [
        "¥50.00 off per unit · limited: 3 left for you",
        "bundle ¥5,200.00",
        "buy 2 get 1 × 顶吸式油烟机 黑色 free",
    ]
    assert "秘密" not in html and "SECRET" not in html and "secret" not in html
