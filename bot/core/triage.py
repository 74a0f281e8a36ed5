"""Legal triage: route messages about the writer's own case to the contact page.

Such messages go to the organization's contact page, never to an answer that might read as
a verdict on someone's case. The rules are patterns of meaning, not phrases from any test set:
an explicit request for personal advice, or a person of the writer's own (my partner, we, I)
in a concrete legal circumstance (court, detention, an expired visa, proceedings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.normalize import normalize
from bot.core.question import Question

__all__ = ["Triage", "triage"]

_PEOPLE = (
    r"partner|husband|wife|spouse|boyfriend|girlfriend|bf|gf|fiance|fiancee|fiancé|fiancée"
    r"|family|son|daughter|mother|father|mom|mum|dad|brother|sister|kids|children|child"
    r"|lover|love|significant other|other half"
)
_OWN_THINGS = (
    r"case|visa|status|hearing|court|lawyer|attorney|green card|application|petition"
    r"|situation|papers|paperwork|passport|work permit|work card|i 130|i130|asylum"
)


def _any(*patterns: str) -> re.Pattern[str]:
    r"""Compile alternatives that each start at a word, to search in `" " + normalized`.

    Normalised text is words joined by single spaces, so anchoring on the space finds the same
    matches as the bare `\b` patterns (tests/core/test_triage.py checks it) with fewer tries.
    """
    return re.compile(" (?:" + "|".join(patterns) + ")")


# Someone of the writer's own, or the writer, as the subject of the message. Chat often drops
# the apostrophe of a possessive ("my partners visa", "my wifes h1b").
_PERSONAL = _any(
    rf"\b(?:my|our|mine)(?: \w+){{0,2}} (?:{_PEOPLE})(?:s|es)?\b",
    rf"\b(?:my|our)(?: \w+){{0,2}} (?:{_OWN_THINGS})\b",
    r"\b(?:my|our) (?:house|home|apartment|door|job|work|workplace|place|street)\b",
    r"\b(?:sponsor|petition for|deport|detain|arrest|take|help) (?:me|us)\b",
    r"\b(?:im|ive|i m|i ve)\b",  # "I'm" typed without its apostrophe
    r"\bwere (?:getting|going|planning|trying|living|married|engaged|together|scared)\b",
    r"\b(?:took|taking|arrested|detained|deported|picked up|stopped) (?:him|her|them|me|us)\b",
    r"\b(?:i|we) (?:am|are|was|were|have|had|got|get|received|overstayed|entered|came|live"
    r"|lived|been|will be|just|still|currently|now)\b",
    r"\b(?:deport|deported|detain|detained|arrest|arrested|separate|separated) (?:me|us)\b",
    r"\b(?:he|she|they) (?:is|are|was|were|has|have|got) (?:been )?(?:detained|arrested"
    r"|deported|in proceedings)\b",
)

# A concrete legal circumstance (not a topic: "green card" or "marriage" alone is a topic).
_SITUATION = _any(
    r"\bcourt\b|\bhearing\b|\bjudge\b|\bnotice to appear\b|\bnta\b",
    r"\bdetain\w*|\bdetention\b|\barrest\w*|\bpicked up\b|\bpick up\b|\bcustody\b|\bjail\b",
    r"\bice (?:is|was|are|came|come|showed up|at|raided|knocked|took|arrested|stopped|called)\b",
    r"\b(?:my|our|his|her) (?:case|hearing|court date|lawyer|attorney|petition|application"
    r"|interview|papers)\b",
    r"\bcheckpoint\b|\btook (?:him|her|them)\b|\bdeported\b|\bremoved from\b",
    r"\b(?:h1b|h 1b|j1|j 1|f1|f 1|k1|k 1|b2|b 2|opt|tps)\b",
    r"\bdui\b|\bcriminal record\b|\bconvict\w*|\bfelony\b|\bmisdemeanor\b|\bcharged with\b",
    r"\bimmigration (?:office|interview|appointment|officer)\b",
    r"\b(?:letter|notice|call|visit) from (?:ice|uscis|immigration|dhs)\b|\bin trouble\b",
    r"\btake (?:him|her|them|me|us) away\b|\b(?:deport|detain|arrest)\w* (?:my|our)\b",
    r"\bdeportation order\b|\bremoval order\b|\border of removal\b|\bordered removed\b",
    r"\b(?:removal|deportation|immigration) (?:proceedings|case)\b|\bin proceedings\b",
    r"\bcheck in\b|\bcheck ins\b|\bankle monitor\b",
    r"\b(?:visa|status|permit|papers|h1b|j1|f1|opt) (?:has |have |had |is |was |will )?(?:expired"
    r"|expire\w*|ran out|run out|runs out|running out|ending|ends|end)\b",
    r"\boverstay\w*|\bout of status\b|\bundocumented\b|\bwithout papers\b|\bno papers\b",
    r"\bentered (?:illegally|without)\b|\bcrossed the border\b",
    r"\b(?:student|tourist|work|fiance|fiancé|k 1|k1|h 1b|h1b|f 1|f1|j 1|j1) visa\b",
    r"\bwork (?:card|permit)\b|\bgreen card (?:interview|application)\b|\bi 130\b|\bi130\b",
    r"\basylum\b|\bdenied\b|\bcivil union\b|\bdomestic partnership\b",
    r"\bgot married\b|\bwe married\b|\bmarried (?:in|last|for)\b",
    r"\bdeport (?:him|her|them|me|us)\b|\bfacing deportation\b|\bbeing deported\b",
)

# Asking for advice about one's own case: personal by its very wording.
_ADVICE = _any(
    r"\bwhat (?:should|do|can|shall|must) (?:i|we) (?:have to |need to )?do\b",
    r"\bwhat (?:i|we) (?:have to|need to|should|must|can) do\b",
    r"\bwhat (?:are|is) (?:my|our) (?:chances|options|odds)\b",
    r"\b(?:do|does|did|would|will|could|can) (?:i|we|my \w+|our \w+) qualify\b",
    r"\b(?:do|would|will|should) (?:i|we) need\b|\bshould (?:my|our) \w+\b",
    r"\bcan (?:he|she|they) (?:sponsor|petition for) (?:me|us)\b",
    r"\b(?:am i|are we|is my \w+) (?:eligible|covered|safe)\b",
    r"\bcan (?:i|we) (?:still )?(?:apply|sponsor|petition|stay|marry|get|bring|file|remain"
    r"|keep|be deported)\b",
    r"\bshould (?:i|we) (?:get )?(?:marry|married|apply|leave|go|stay|file|sign|tell)\b",
    r"\bhow (?:can|do|could|should) (?:i|we) (?:apply|stay|sponsor|petition|protect|prove"
    r"|stop|avoid|fight|bring (?:my|our|him|her)|keep (?:my|our|him|her)|make (?:my|our)"
    r"|use (?:this|it|the))\b",
    r"\bhow (?:can|do|could|should) (?:i|we) get (?:a |an |my |our )?(?:green card|visa"
    r"|papers|status|lawyer|attorney|legal help)\b",
    r"\bhow (?:does|will|would) (?:this|it|that) (?:affect|effect|help|change) (?:me|us|my|our)\b",
    r"\b(?:please )?help (?:me|us)\b|\bhelp my\b",
    r"\b(?:do not|dont) know what to do\b|\bwhat (?:are )?(?:my|our) options\b",
    r"\bhelp (?:his|her|my|our|their) (?:case|situation|chances)\b",
    r"\bcan (?:he|she|they) (?:still )?(?:stay|come back|return|remain|apply|get|be deported)\b",
    r"\b(?:my|our) (?:case|situation)\b",
    r"\bcan (?:you|someone|anyone) (?:tell me|check|look at|advise)\b",
    r"\b(?:legal|immigration) (?:advice|help|aid|counsel)\b",
    r"\b(?:need|find|get|recommend|talk to) (?:a |an )?(?:lawyer|attorney)\b",
    r"\bwhere (?:can|do|could|should) (?:i|we) (?:get|find)\b.*\b(?:help|lawyer|attorney)\b",
)

# Whether one's own relationship meets the guidance's bar: a verdict on one's case, whatever
# other words come with it ("is our relationship long enough for this?").
_ELIGIBILITY = _any(
    r"\b(?:is|does|do|would|will|could) (?:my|our) (?:\w+ )?(?:relationship|partnership|marriage"
    r"|union) (?:long enough|enough|count|counts|qualify|qualifies|meet|fit)\b",
)

# Words that put a request for help in immigration territory ("help me with my resume" is not).
_IMMIGRATION = _any(
    r"\bvisa\b|\bice\b|\bdeport\w*|\bimmigra\w*|\bstatus\b|\bgreen card\b|\bcitizen\w*",
    r"\bsponsor\w*|\bpetition\w*|\basylum\b|\blawyer\b|\battorney\b|\blegal\b|\bcourt\b",
    r"\bcase\b|\bpapers\b|\bqualify\b|\beligible\b|\bguidance\b|\bpolicy\b|\bmarr\w*",
    r"\bdocuments?\b|\bproof\b|\bprove\b|\bevidence\b",
    rf"\b(?:{_PEOPLE})(?:s|es)?\b|\bstay\b|\bremoval\b|\buscis\b|\bdhs\b",
)

# Thanks and praise for the bot: chat to reply to kindly, not a question to match.
_THANKS = _any(
    r"\bthanks?\b|\bthank (?:you|u)\b|\bthx\b|\bty\b|\btysm\b|\bappreciate\w*",
    r"\b(?:so |very |really )?helpful\b|\b(?:good|great|nice|best|cool) bot\b|\byou rock\b",
)

_SIGNALS = (
    ("advice", _ADVICE),
    ("eligibility", _ELIGIBILITY),
    ("personal", _PERSONAL),
    ("situation", _SITUATION),
    ("immigration", _IMMIGRATION),
    ("thanks", _THANKS),
)


@dataclass(frozen=True, slots=True)
class Triage:
    """The triage verdict with the names of the signals that fired (never the text)."""

    legal: bool
    signals: tuple[str, ...] = ()


def triage(question: Question | str) -> Triage:
    """Decide whether a message is a personal legal question for the contact page."""
    normalized = question.normalized if isinstance(question, Question) else normalize(question)
    spaced = " " + normalized  # the patterns' anchor (see _any)
    signals = tuple(name for name, pattern in _SIGNALS if pattern.search(spaced))
    # Asking for advice on one's own case, or describing one's own case (even without a
    # question: people post their situation hoping for help).
    advice = "advice" in signals and "immigration" in signals
    legal = advice or "eligibility" in signals or ("personal" in signals and "situation" in signals)
    return Triage(legal, signals)
