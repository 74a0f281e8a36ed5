"""Replace personal details with placeholders before any text is kept, in English and Spanish.

People paste their case into a chat: A-numbers, receipt numbers, phones, addresses, birth
dates. Whatever the bot keeps (the unanswered-questions log) must hold none of them, so every
kept text passes through `scrub` first. Phone numbers are found by Google's libphonenumber
(`phonenumbers`), which knows every country's formats; the rest are patterns for formats
that no maintained library covers (USCIS numbers, Spanish street addresses).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

__all__ = ["PLACEHOLDERS", "Scrubbed", "scrub"]

# Regions whose national formats (no "+country" prefix) are tried for phone numbers: the
# members are mostly in the United States and Mexico; any number written with +country or an
# international call prefix is found whatever its country.
_PHONE_REGIONS = ("US", "MX", "ES")

_MONTHS_EN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTHS_ES = (
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|se?ptiembre|octubre|noviembre"
    r"|diciembre|ene|abr|ago|dic"
)
_MONTH = rf"(?:{_MONTHS_EN}|{_MONTHS_ES})\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th|º|°)?"
_YEAR = r"(?:19|20)\d{2}"
_NUMERIC_DATE = (
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)|(?<!\d)(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}"
)
# A full date: day, month and year, in any order people write them.
_FULL_DATE = (
    rf"{_MONTH}\s+{_DAY},?\s+(?:de\s+|del\s+)?{_YEAR}"
    rf"|{_DAY}\s+(?:de\s+|of\s+)?{_MONTH},?\s+(?:de\s+|del\s+)?{_YEAR}"
)
# Any part of a date, kept only where it says when someone was born.
_PARTIAL_DATE = (
    rf"{_DAY}\s+(?:de\s+|of\s+)?{_MONTH}(?:,?\s+(?:de\s+|del\s+)?{_YEAR})?"
    rf"|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?(?!\d)"
    rf"|{_MONTH}\s+(?:de\s+|del\s+|of\s+)?{_YEAR}"
    r"|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?(?!\d)"
    rf"|(?:19|20)?\d{{2}}(?!\d)"
)
_BIRTH = (
    r"born|birth|dob|d\.o\.b\.?|birthday|bday|b-day"
    r"|nac[ií]|nacid[oa]s?|naci[oó]|nacimiento|cumpleaños|cumple"
)

# Words that name a street whatever the case ("123 main st"), and words that do so only after
# a capitalised name ("900 Oak Court"; "went to court" and "the 2015 Supreme Court" are not).
_STREET_EN = r"street|st|avenue|ave|av|road|rd|boulevard|blvd|parkway|pkwy|highway|hwy"
_STREET_EN_NAMED = (
    r"Court|Ct|Way|Place|Pl|Lane|Ln|Drive|Dr|Terrace|Ter|Circle|Cir|Trail|Trl|Square|Sq"
)
_STREET_ES = (
    r"calle|c/|avenida|av|avda|calzada|calz|carretera|carr|paseo|camino|callejón|callejon"
    r"|privada|priv|boulevard|blvd|bulevar|plaza|pza|andador|circuito|cerrada"
)
_UNIT = (
    r"(?:,?\s*(?:apt|apartment|unit|suite|ste|depto|dpto|departamento|int|interior|piso)\.?"
    r"\s*#?\s*\w{1,5})?"
)
_DIRECTION = r"(?:[nsew]\.?\s+|north\s+|south\s+|east\s+|west\s+)?"
# A name of up to four words (capitalised or not: chat is lowercase), e.g. "Main", "Santa Fe".
_NAME = r"[^\W\d_][\w'.]*(?:\s+[^\W\d_][\w'.]*){0,3}?"


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """Scrubbed text and how many details of each kind were replaced (never the details)."""

    text: str
    found: Counter[str]

    @property
    def changed(self) -> bool:
        """Whether any detail was replaced."""
        return bool(self.found)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    group: str | int = 0  # the part of a match that is the detail (the rest is its context)


def _rule(kind: str, pattern: str, group: str | int = 0, *, case: bool = False) -> _Rule:
    flags = re.UNICODE | (0 if case else re.IGNORECASE)
    return _Rule(kind, re.compile(pattern, flags), group)


# In order: a later rule never sees what an earlier one replaced, so the specific formats come
# before the general (an email's domain is not a URL; a receipt's ten digits are not a phone).
_RULES = (
    _rule("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}"),
    _rule(
        "url",
        r"\b(?:https?://|www\.)[^\s<>\"]+?(?=[.,;:!?)\]]*(?:\s|$))"
        r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|info|io|co|me|us|mx|es|ly|gl|app)"
        r"\b(?:/[^\s<>\"]*?)?(?=[.,;:!?)\]]*(?:\s|$))",
    ),
    _rule("mention", r"<(?:@[!&]?|#)\d+>|(?<![\w@])@(?!everyone\b|here\b)[\w.]{2,32}"),
    _rule("id", r"(?<!\d)\d{17,20}(?!\d)"),
    # USCIS receipt numbers: a service-centre code and ten digits (EAC1234567890, IOE-...).
    _rule(
        "receipt",
        r"\b(?:(?i:ioe|eac|wac|lin|src|nbc|msc|ysc|zla|zny|zsf|zhn|vsc|csc|tsc)|[A-Z]{3})"
        r"[\s-]*(?:\d[\s-]?){9}\d(?!\d)",
        case=True,
    ),
    # Alien registration numbers: "A" and 8 or 9 digits, or the digits after its name.
    _rule("a-number", r"(?<![\w-])A\s*(?:#|-|:|no\.?)?\s*(?:\d[\s-]?){7,8}\d(?![\d-])", case=True),
    _rule(
        "a-number",
        r"(?:\bA[\s-]?(?:#|number|num|no\.?)|\balien\s+(?:registration\s+)?(?:number|no\.?|#)"
        r"|\bn[uú]mero\s+(?:de\s+)?(?:A|extranjero|de\s+registro)\b|\bmi\s+A\b)"
        r"\s*(?:is|es|:|#|=)?\s*(?P<d>(?:\d[\s-]?){7,8}\d)(?![\d-])",
        "d",
    ),
    _rule("ssn", r"(?<!\d)\d{3}-\d{2}-\d{4}(?![\d-])"),
    # The number of a named document ("passport number 548392017", "caso # 4471902").
    _rule(
        "number",
        r"\b(?:passport|pasaporte|case|caso|ssn|itin|license|licencia|permit|permiso|ead"
        r"|i-?94|visa|expediente|file)\s*(?:number|num|no\.?|n[uú]mero|#)?\s*(?:is|es|:|#|=)?"
        r"\s*(?P<d>[a-z]{0,3}\d[\d\s-]{3,}\d)(?![\d-])",
        "d",
    ),
    _rule(
        "date",
        rf"\b(?:{_BIRTH})\b(?:\W+\w+){{0,3}}?\W+(?P<d>(?:{_NUMERIC_DATE}|{_FULL_DATE}|{_PARTIAL_DATE}))",
        "d",
    ),
    _rule("date", rf"(?<![\d/.-])(?:{_NUMERIC_DATE})|\b(?:{_FULL_DATE})\b"),
    _rule(
        "address",
        rf"\b(?:p\.?\s?o\.?\s+box|apartado(?:\s+postal)?)\s*#?\s*\d+"
        rf"|(?<![\w#-])\d{{1,6}}[a-z]?\s+{_DIRECTION}"
        rf"(?:\d{{1,3}}(?:st|nd|rd|th)|{_NAME})\s+(?:{_STREET_EN})\b\.?{_UNIT}"
        rf"|(?<![\w#-])(?!(?:19|20)\d\d\b)\d{{1,6}}[a-z]?\s+{_DIRECTION}"
        rf"(?-i:[A-Z][\w'.]*(?:\s+[A-Z][\w'.]*){{0,2}}\s+(?:{_STREET_EN_NAMED}))\b\.?{_UNIT}"
        rf"|\b(?:{_STREET_ES})\.?\s+(?:\d{{1,4}}(?:\s+de\s+{_NAME})?|{_NAME})\s*(?:#|no\.?|n[uú]m\.?|,)?\s*\d{{1,5}}"
        rf"[a-z]?\b{_UNIT}",
    ),
)
_LONG_NUMBER = re.compile(r"(?<![\w\[])(?:\d[\s-]?){5,}\d(?![\w\]])")

Spans = Callable[[str], list[tuple[int, int]]]


def _rule_spans(rule: _Rule) -> Spans:
    def spans(text: str) -> list[tuple[int, int]]:
        return [m.span(rule.group) for m in rule.pattern.finditer(text) if m.group(rule.group)]

    return spans


# Two years joined ("2011-2012") read as a phone or a long number; they are dates of history.
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-–—/]\s*(?:19|20)\d\d")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    if not any(character.isdigit() for character in text):
        return []
    return [
        (match.start, match.end)
        for region in _PHONE_REGIONS
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        )
        if not _YEAR_RANGE.fullmatch(match.raw_string)
    ]


def _long_number_spans(text: str) -> list[tuple[int, int]]:
    return [
        match.span()
        for match in _LONG_NUMBER.finditer(text)
        if not _YEAR_RANGE.fullmatch(match.group())
    ]


# Phones come after the formats whose digits they could swallow (ids, A-numbers, dates) and
# before addresses, whose house numbers are no phone; any long number left over goes last.
_STEPS: tuple[tuple[str, Spans], ...] = (
    *((rule.kind, _rule_spans(rule)) for rule in _RULES if rule.kind != "address"),
    ("phone", _phone_spans),
    *((rule.kind, _rule_spans(rule)) for rule in _RULES if rule.kind == "address"),
    ("number", _long_number_spans),
)
PLACEHOLDERS = frozenset(f"[{kind}]" for kind, _ in _STEPS)


def _replace(text: str, spans: list[tuple[int, int]], kind: str, found: Counter[str]) -> str:
    """Replace non-overlapping `spans` (earliest, then longest, wins) with `[kind]`."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    for start, end in reversed(kept):
        text = f"{text[:start]}[{kind}]{text[end:]}"
    found[kind] += len(kept)
    return text


def scrub(text: str) -> Scrubbed:
    """Return `text` with every personal detail found replaced by a placeholder like `[phone]`."""
    found: Counter[str] = Counter()
    for kind, find in _STEPS:
        spans = find(text)
        if spans:
            text = _replace(text, spans, kind, found)
    return Scrubbed(text, found)
