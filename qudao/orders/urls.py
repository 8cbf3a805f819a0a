"""HQ pages of the orders context (namespace "orders")."""

app_name = "orders"

urlpatterns: list = []
