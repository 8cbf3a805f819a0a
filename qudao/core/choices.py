"""A registry of choice lists one context fills in for another that may not import it.

The partners context may not import the catalogue (see DESIGN.md), yet its form offers the
catalogue's product lines: the catalogue registers a provider in its AppConfig.ready

    core.choices.register("product_lines", product_line_choices)

and the partner form asks `core.choices.choices("product_lines")`. A provider returns
[(value, label)] and is called each time (the lists change as records do). A name nobody registered
has no choices (a form then offers nothing rather than failing)."""

from __future__ import annotations

from collections.abc import Callable

Provider = Callable[[], list[tuple[str, str]]]

_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Let `provider` answer the choices called `name` (the last registration wins)."""
    _providers[name] = provider


def choices(name: str) -> list[tuple[str, str]]:
    """The current choices called `name`, as (value, label) strings; [] when none is registered."""
    provider = _providers.get(name)
    if provider is None:
        return []
    return [(str(value), str(label)) for value, label in provider()]


def registered(name: str) -> bool:
    return name in _providers
