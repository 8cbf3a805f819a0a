"""The glossary of the domain's words (glossary.json) and the checks that hold the Chinese
catalogues to it.

One English word can mean two things in Qudao ("Order" is a purchase order or a position in a
list; "Tier" a partner's grade or a step of a rebate's tier table), so a call site gives the other
meaning a message context (`pgettext("sort order", "Order")`, `{% translate "Tier" context "rebate
tier" %}`) and the glossary says which rendering each context takes. qudao/core/tests/test_glossary.py
runs `problems()` over zh_Hans and zh_Hant; docs/glossary.md is `render_markdown()`:

    .venv/bin/python -m qudao.core.glossary > docs/glossary.md
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary.json")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh_Hans", "zh_Hant")


@dataclass
class Message:
    """One entry of a .po catalogue: its context, source text and translations, and the files that
    use it (the `#:` references)."""

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"[{self.msgctxt}] {self.msgid!r}" if self.msgctxt else repr(self.msgid)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def read_catalogue(path: Path) -> list[Message]:
    """The messages of a .po file (obsolete `#~` entries and the header left out)."""
    messages: list[Message] = []
    fields: dict[str, str] = {}
    references: list[str] = []
    flags: list[str] = []
    last = None

    def flush() -> None:
        if "msgid" in fields and fields["msgid"]:
            strs = [fields[key] for key in sorted(k for k in fields if k.startswith("msgstr"))]
            messages.append(
                Message(
                    msgid=fields["msgid"],
                    msgctxt=fields.get("msgctxt"),
                    msgid_plural=fields.get("msgid_plural"),
                    msgstrs=strs,
                    references=list(references),
                    flags=list(flags),
                )
            )

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            fields, references, flags, last = {}, [], [], None
        elif line.startswith("#:"):
            references += line[2:].split()
        elif line.startswith("#,"):
            flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            last = match.group(1)
            fields[last] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and last:
            fields[last] += ast.literal_eval(line)
    flush()
    return messages


def catalogue(language: str) -> list[Message]:
    return read_catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")


def load() -> dict:
    return json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))


def _accepted(term: dict, language: str) -> list[str]:
    return [term[language], *term.get("also", {}).get(language, [])]


def forbidden_renderings(messages: list[Message], language: str, glossary: dict | None = None) -> list[str]:
    """Messages whose source names a term (its `match`) and whose translation uses one of the
    term's forbidden renderings, outside the term's exceptions."""
    glossary = glossary or load()
    found = []
    for term in glossary["terms"]:
        forbidden = term.get("forbidden", {}).get(language, [])
        if not forbidden or "match" not in term:
            continue
        pattern = re.compile(term["match"], re.IGNORECASE)
        exception = re.compile(term["except_msgids"], re.IGNORECASE) if term.get("except_msgids") else None
        paths = term.get("paths")
        for message in messages:
            if message.msgctxt in term.get("except_contexts", []):
                continue
            if not (pattern.search(message.msgid) or (message.msgid_plural and pattern.search(message.msgid_plural))):
                continue
            if exception and exception.search(message.msgid):
                continue
            if paths and not any(ref.startswith(tuple(paths)) for ref in message.references):
                continue
            # another term the source also names may rightly use the word inside its own rendering
            # ("sub-dealers ... under a distributor": 一级 inside 一级经销商): leave those out first
            texts = [
                _without_other_terms(text, message, term, forbidden, language, glossary) for text in message.msgstrs
            ]
            for word in forbidden:
                if any(word in text for text in texts):
                    found.append(f"{language}: {message.label} is {message.msgstrs[0]!r}: {word} is not “{term['en']}”")
    return found


def _without_other_terms(
    text: str, message: Message, term: dict, forbidden: list[str], language: str, glossary: dict
) -> str:
    for other in glossary["terms"]:
        rendering = other.get(language)
        if other is term or "match" not in other or not rendering or rendering in forbidden:
            continue
        # only a longer word that holds a refused one (一级经销商 holds 一级), never the refused word itself
        if not any(word in rendering and word != rendering for word in forbidden):
            continue
        if re.search(other["match"], message.msgid, re.IGNORECASE):
            text = text.replace(rendering, "")
    return text


def missing_preferred(messages: list[Message], language: str, glossary: dict | None = None) -> list[str]:
    """Messages that are exactly a term (one of its `msgids`, under its `msgctxt`) whose
    translation does not use the term's word."""
    glossary = glossary or load()
    by_key = {(message.msgctxt, message.msgid): message for message in messages}
    found = []
    for term in glossary["terms"]:
        accepted = _accepted(term, language)
        for msgid in term.get("msgids", []):
            message = by_key.get((term.get("msgctxt"), msgid))
            if message is None:
                continue
            if not any(word in text for word in accepted for text in message.msgstrs):
                found.append(f"{language}: {message.label} is {message.msgstrs[0]!r}, not {term[language]!r}")
    return found


def ambiguous_without_context(messages: list[Message], glossary: dict | None = None) -> list[str]:
    """Source strings with two meanings that may not be used without a message context."""
    glossary = glossary or load()
    bare = {message.msgid for message in messages if message.msgctxt is None}
    return [
        f"{item['msgid']!r} is used without a context: {item['why']}"
        for item in glossary["ambiguous"]
        if not item["bare"] and item["msgid"] in bare
    ]


def problems(language: str, messages: list[Message] | None = None) -> list[str]:
    glossary = load()
    messages = catalogue(language) if messages is None else messages
    return (
        forbidden_renderings(messages, language, glossary)
        + missing_preferred(messages, language, glossary)
        + ambiguous_without_context(messages, glossary)
    )


def render_markdown() -> str:
    """docs/glossary.md: the glossary for people."""
    glossary = load()
    lines = [
        "# Glossary",
        "",
        "The words of Qudao's domain in English, Simplified and Traditional Chinese. This page is",
        "rendered from [qudao/core/glossary.json](../qudao/core/glossary.json)",
        "(`.venv/bin/python -m qudao.core.glossary > docs/glossary.md`), and",
        "`qudao/core/tests/test_glossary.py` fails when a translation uses a word this table forbids,",
        "when a term's own message does not use its word, or when an ambiguous message has no context",
        "(see [Translations in CONTRIBUTING.md](../CONTRIBUTING.md#translations-and-the-glossary)).",
        "",
        "| English | 简体中文 | 繁體中文 | meaning | never | context |",
        "|---|---|---|---|---|---|",
    ]
    for term in glossary["terms"]:
        forbidden = term.get("forbidden", {})
        never = " ".join(dict.fromkeys(forbidden.get("zh_Hans", []) + forbidden.get("zh_Hant", [])))
        context = f"`{term['msgctxt']}`" if term.get("msgctxt") else ""
        lines.append(
            f"| {term['en']} | {term['zh_Hans']} | {term['zh_Hant']} | {term['meaning']} | {never} | {context} |"
        )
    lines += [
        "",
        "## One word, two meanings",
        "",
        "These source strings mean two things; the call site of the second meaning gives a message",
        'context (`pgettext("sort order", "Order")` in Python, `{% translate "Order" context',
        '"sort order" %}` in a template).',
        "",
        "| source | without a context | |",
        "|---|---|---|",
    ]
    for item in glossary["ambiguous"]:
        lines.append(f"| `{item['msgid']}` | {'allowed' if item['bare'] else 'refused'} | {item['why']} |")
    return "\n".join(lines) + "\n"


def messages_from_json(path: Path) -> list[Message]:
    """Translations handed in as JSON ([{"msgid", "msgctxt"?, "msgid_plural"?, "zh_Hans", "zh_Hant"}])
    as catalogue messages, one list per language: to check them before they go into the catalogues."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def check_json(path: Path) -> list[str]:
    found = []
    glossary = load()
    for language in LANGUAGES:
        messages = []
        for item in messages_from_json(path):
            text = item.get(language, "")
            messages.append(
                Message(
                    msgid=item["msgid"],
                    msgctxt=item.get("msgctxt"),
                    msgid_plural=item.get("msgid_plural"),
                    msgstrs=text if isinstance(text, list) else [text],
                )
            )
        found += forbidden_renderings(messages, language, glossary) + missing_preferred(messages, language, glossary)
    return found


if __name__ == "__main__":  # pragma: no cover
    import sys

    if len(sys.argv) > 2 and sys.argv[1] == "check":
        # python -m qudao.core.glossary check translations.json ...: what breaks the glossary
        problems_found = [problem for name in sys.argv[2:] for problem in check_json(Path(name))]
        print("\n".join(problems_found) or "The translations follow the glossary.")
        sys.exit(1 if problems_found else 0)
    print(render_markdown(), end="")
