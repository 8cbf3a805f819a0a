"""Registries through which higher contexts extend lower ones without being imported by them.

`register_panel("partner", ...)`: the partner 360 page is a list of panels; partners registers
profile, hierarchy, contacts, credit, approvals and audit; finance adds the account and rebates
their rebates panel the same way (in their AppConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    title: object  # lazy translation
    template: str
    context: Callable  # (request, obj) -> dict
    order: int = 100
    visible: Callable = lambda request, obj: True


_panels: dict[str, list[Panel]] = {}


def register_panel(page: str, panel: Panel) -> None:
    panels = [existing for existing in _panels.get(page, []) if existing.key != panel.key]
    panels.append(panel)
    _panels[page] = sorted(panels, key=lambda item: item.order)


def panels_for(page: str) -> list[Panel]:
    return list(_panels.get(page, []))
