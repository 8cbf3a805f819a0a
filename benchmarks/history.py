"""Order history at benchmark scale, written set-based on PostgreSQL (a few INSERT ... SELECT over
generate_series, no Python per row): orders of 5 lines for the active partners of a seeded demo
database, each shipped whole in one shipment two days after it was placed, and payments.

The demo generator (`manage.py seed`) places its orders through the real services, which is right
for a few hundred orders and far too slow for ten million lines; this writes the same tables with
the same invariants (line totals = quantity x net unit price, order totals = the sum of their
lines, shipped quantities = the shipment lines) so that the rebate bases read realistic data.
Deterministic: every pseudo-random choice is a hash of the row's position.

Columns the generator does not name get the model field's default (so a column added later does
not break it); a NOT NULL column without a default makes it fail loudly.
"""

from __future__ import annotations

from datetime import date

LINES_PER_ORDER = 5


def _insert_select(model, given: dict[str, str], from_sql: str, params: list | None = None) -> int:
    """INSERT INTO model's table the rows of `SELECT <given expressions> FROM <from_sql>`; every
    other NOT NULL column gets the field's default (auto_now fields: now())."""
    from django.db import connection

    columns, expressions, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        if column in given:
            columns.append(column)
            expressions.append(given[column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(column)
            expressions.append("now()")
        elif not field.null:
            if not field.has_default() and not (field.empty_strings_allowed and field.blank):
                raise ValueError(f"{model.__name__}.{field.name} needs a value: name it in `given`")
            columns.append(column)
            expressions.append("%s")
            values.append(field.get_db_prep_save(field.get_default(), connection))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM {from_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values + list(params or []))
        return cursor.rowcount


def generate(*, lines: int, first_day: date, last_day: date, prefix: str = "BH") -> dict:
    """Write `lines` order lines (lines / 5 orders) spread evenly over first_day..last_day for the
    active partners, every order shipped; one payment for every second order. Returns counts."""
    from django.db import connection

    from qudao.finance.models import Payment
    from qudao.inventory.models import Warehouse
    from qudao.orders.models import Order, OrderLine, Shipment, ShipmentLine

    orders = lines // LINES_PER_ORDER
    days = (last_day - first_day).days + 1
    warehouse = Warehouse.objects.filter(active=True).order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_partner; DROP TABLE IF EXISTS bench_sku")
        cursor.execute(
            "CREATE TEMP TABLE bench_partner AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, credit_currency"
            " FROM partners_partner WHERE status = 'active'"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_sku AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id"
            " FROM catalog_sku WHERE lifecycle = 'on_sale'"
        )
        cursor.execute("SELECT count(*) FROM bench_partner")
        partner_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_sku")
        sku_count = cursor.fetchone()[0]
    if not partner_count or not sku_count or warehouse is None:
        raise RuntimeError("seed the database first: it needs active partners, on-sale SKUs and a warehouse")
    # Order g.i is placed on day (g.i * days / orders) of the span, at 10:00; every other choice is
    # abs(hashtext(<tag> || position)) modulo the number of choices.
    day = f"((g.i::bigint * {days}) / {orders})"
    placed = f"('{first_day.isoformat()}'::date + {day} * interval '1 day' + interval '10 hours')"
    written = {}
    written["orders"] = _insert_select(
        Order,
        {
            "number": f"'{prefix}' || lpad(g.i::text, 10, '0')",
            "partner_id": "p.id",
            "status": "'shipped'",
            "currency": "p.credit_currency",
            "list_total": "0",
            "total": "0",
            "priced_on": f"({placed})::date",
            "submitted_at": placed,
            "created_at": placed,
            "updated_at": placed,
            "payment_method": "'credit'",
        },
        f"generate_series(0, {orders - 1}) AS g(i)"
        f" JOIN bench_partner p ON p.n = abs(hashtext('p' || g.i)) %% {partner_count}",
    )
    written["order_lines"] = _insert_select(
        OrderLine,
        {
            "order_id": "o.id",
            "line_no": "l.n",
            "sku_id": "s.id",
            "unit": "''",
            "unit_quantity": "q.qty",
            "quantity": "q.qty",
            "list_price": "q.price",
            "net_unit_price": "q.price * 0.95",
            "line_total": "round(q.qty * q.price * 0.95, 2)",
            "shipped_quantity": "q.qty",
        },
        f"orders_order o CROSS JOIN generate_series(1, {LINES_PER_ORDER}) AS l(n)"
        f" CROSS JOIN LATERAL (SELECT 1 + abs(hashtext('q' || o.id || ':' || l.n)) %% 10 AS qty,"
        f"   (50 + abs(hashtext('c' || o.id || ':' || l.n)) %% 1950)::numeric AS price) q"
        f" JOIN bench_sku s ON s.n = (abs(hashtext('s' || o.id)) + l.n * 7) %% {sku_count}"
        f" WHERE o.number LIKE '{prefix}%%'",
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_order o SET list_total = t.list_total, total = t.total"
            " FROM (SELECT order_id, sum(quantity * list_price) AS list_total, sum(line_total) AS total"
            "       FROM orders_orderline GROUP BY order_id) t"
            f" WHERE o.id = t.order_id AND o.number LIKE '{prefix}%'"
        )
    written["shipments"] = _insert_select(
        Shipment,
        {
            "number": f"'{prefix}S' || substr(o.number, {len(prefix) + 1})",
            "order_id": "o.id",
            "warehouse_id": str(int(warehouse)),
            "status": "'delivered'",
            "shipped_at": "o.submitted_at + interval '2 days'",
            "delivered_at": "o.submitted_at + interval '4 days'",
        },
        f"orders_order o WHERE o.number LIKE '{prefix}%%'",
    )
    written["shipment_lines"] = _insert_select(
        ShipmentLine,
        {"shipment_id": "s.id", "order_line_id": "l.id", "quantity": "l.quantity"},
        f"orders_shipment s JOIN orders_orderline l ON l.order_id = s.order_id WHERE s.number LIKE '{prefix}S%%'",
    )
    written["payments"] = _insert_select(
        Payment,
        {
            "number": f"'{prefix}P' || substr(o.number, {len(prefix) + 1})",
            "partner_id": "o.partner_id",
            "currency": "o.currency",
            "amount": "o.total",
            "received_on": "(o.submitted_at + interval '20 days')::date",
            "status": "'confirmed'",
            "source": "'import'",
            "bank_reference": f"'{prefix}B' || o.id",
        },
        f"orders_order o WHERE o.number LIKE '{prefix}%%' AND o.id %% 2 = 0",
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return written
