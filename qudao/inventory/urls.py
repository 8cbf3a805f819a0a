"""HQ pages of the inventory context (namespace "inventory")."""

app_name = "inventory"

urlpatterns: list = []
