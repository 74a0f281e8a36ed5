"""Legal triage: route messages about the writer's own case to the contact page.

Such messages go to the organization's contact page, never to an answer that might read as
a verdict on someone's case. The rules are patterns of meaning, not phrases from any test set:
an explicit request for personal advice, or a person of the writer's own (my partner, we, I)
in a concrete legal circumstance (court, detention, an expired visa, proceedings). Spanish
has its own table of the same signals (a message fires a signal in either language).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.core.normalize import normalize
from bot.core.question import Question

__all__ = ["Triage", "triage"]

_PEOPLE = (
    r"partner|husband|wife|spouse|boyfriend|girlfriend|bf|gf|fiance|fiancee|fiancé|fiancée"
    r"|family|son|daughter|mother|father|mom|mum|dad|brother|sister|kids|children|child"
    r"|lover|love|significant other|other half|hubby|wifey|bae|babe|boo|man|guy|girl"
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
    r"\b(?:took|taking|arrested|detained|deported|picked up|stopped|grabbed|nabbed|pulled)"
    r" (?:him|her|them|me|us)\b",
    # Someone taken and held, said of the one who holds them ("they have him", "ice got her").
    r"\b(?:they|ice|immigration|la migra|the migra|police|cops) (?:have|has|have got|got|still"
    r" have|are holding|is holding|took|picked up|grabbed) (?:him|her|them|me|us)\b",
    r"\b(?:i|we) (?:am|are|was|were|have|had|got|get|received|overstayed|entered|came|live"
    r"|lived|been|will be|just|still|currently|now|stayed|arrived|got here)\b",
    r"\b(?:deport|deported|detain|detained|arrest|arrested|separate|separated) (?:me|us)\b",
    r"\b(?:he|she|they) (?:is|are|was|were|has|have|got) (?:been )?(?:detained|arrested"
    r"|deported|in proceedings)\b",
    r"\b(?:he|she|they) (?:has|have|had|got) (?:a |an |his |her |their )?(?:check in|hearing"
    r"|court date|ice appointment|ankle monitor|ankle bracelet|deportation order|removal order)\b",
)

# A concrete legal circumstance (not a topic: "green card" or "marriage" alone is a topic).
_SITUATION = _any(
    r"\bcourt\b|\bhearing\b|\bjudge\b|\bnotice to appear\b|\bnta\b",
    r"\bdetain\w*|\bdetention\b|\barrest\w*|\bpicked up\b|\bpick up\b|\bcustody\b|\bjail\b",
    r"\bice (?:is|was|are|came|come|showed up|at|raided|knocked|took|arrested|stopped|called"
    r"|has|have|got|grabbed|picked|detained|is holding)\b",
    # Detention in slang and stops that end in custody.
    r"\b(?:they|police|cops|immigration|la migra|the migra) (?:have|has|have got|got|still have"
    r"|are holding|is holding|grabbed|nabbed) (?:him|her|them|me|us|my|our)\b",
    r"\blocked up\b|\bbehind bars\b|\bholding cell\b|\bla migra\b|\bpulled (?:\w+ )?over\b",
    r"\btraffic stop\b|\b(?:stopped|grabbed|nabbed) (?:my|our)(?: \w+)? (?:" + _PEOPLE + r")\b",
    r"\b(?:my|our|his|her) (?:case|hearing|court date|lawyer|attorney|petition|application"
    r"|interview|papers|situation)\b",
    r"\bcheckpoint\b|\btook (?:him|her|them)\b|\bdeported\b|\bremoved from\b",
    r"\b(?:h1b|h 1b|j1|j 1|f1|f 1|k1|k 1|b2|b 2|opt|tps)\b",
    r"\bdui\b|\bcriminal record\b|\bconvict\w*|\bfelony\b|\bmisdemeanor\b|\bcharged with\b",
    r"\bimmigration (?:office|interview|appointment|officer)\b",
    r"\b(?:letter|notice|call|visit) from (?:ice|uscis|immigration|dhs)\b|\bin trouble\b",
    # Mail from the immigration authorities: one's own case has been written to.
    r"\b(?:letter|letters|notice|envelope|mail|email|something|paper|papers|document|documents"
    r"|summons) (?:from|by) (?:the )?(?:ice|uscis|immigration|dhs|homeland security"
    r"|department of homeland security|immigration court)\b",
    r"\b(?:ice|uscis|dhs|immigration|homeland security) (?:sent|mailed|wrote)\b",
    r"\btake (?:him|her|them|me|us) away\b|\b(?:deport|detain|arrest)\w* (?:my|our)\b",
    r"\bdeportation order\b|\bremoval order\b|\border of removal\b|\bordered removed\b",
    r"\b(?:removal|deportation|immigration) (?:proceedings|case)\b|\bin proceedings\b",
    r"\bcheck in\b|\bcheck ins\b|\bankle (?:monitor|bracelet)\b|\bice office\b",
    # Reporting to immigration, a condition of release (check-ins, supervision).
    r"\breport\w* (?:in )?(?:to|at|with) (?:the |an |a )?(?:ice|immigration|uscis|dhs"
    r"|deportation)\b|\border of supervision\b|\b(?:ice|deportation|asylum) (?:officer|agent)s?\b",
    # Arriving on a visa: one's own entry history.
    r"\b(?:came|entered|arrived|got here)(?: \w+){0,3} (?:on|with) (?:a |an |my |his |her )?"
    r"(?:\w+ )?visa\b",
    r"\b(?:visa|status|permit|papers|h1b|j1|f1|opt) (?:has |have |had |is |was |will )?(?:expired"
    r"|expire\w*|ran out|run out|runs out|running out|ending|ends|end)\b",
    r"\boverstay\w*|\bout of status\b|\bundocumented\b|\bwithout papers\b|\bno papers\b",
    r"\b(?:does not|do not|did not|never) (?:have|had|got) (?:any )?(?:papers|status|documents"
    r"|legal status)\b|\b(?:has|have|had) no (?:legal )?(?:papers|status|documents)\b",
    # Leaving under an order or a grant: voluntary departure, travel that risks re-entry.
    r"\bvoluntary departure\b|\bself deport\w*",
    r"\b(?:risky|safe|dangerous|a risk|risk|ok|okay|a problem) (?:for (?:me|us|him|her|them"
    r"|my \w+|our \w+) )?to (?:fly|travel|leave|go home|go back|cross|visit)\b",
    r"\bcan (?:i|we|he|she|they|my \w+|our \w+) (?:still |safely )?(?:travel|fly|leave the"
    r" country|leave the us|go back home|visit home)\b",
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
    r"\b(?:do|does|did|would|will|could|can) (?:i|we|he|she|they|my \w+|our \w+) qualify\b",
    # Proving one's own relationship to the authorities.
    r"\b(?:show|prove|demonstrate) (?:that )?(?:we are|i am|we were) (?:a couple|together"
    r"|partners|in a relationship|for real|real)\b|\bprove (?:my|our) (?:relationship"
    r"|partnership|marriage|union)\b",
    r"\b(?:do|would|will|should) (?:i|we) need\b|\bshould (?:my|our) \w+\b",
    r"\bcan (?:he|she|they) (?:sponsor|petition for) (?:me|us)\b",
    r"\b(?:am i|are we|is my \w+) (?:eligible|covered|safe)\b",
    r"\bcan (?:i|we) (?:still )?(?:apply|sponsor|petition|stay|marry|get|bring|file|remain"
    r"|keep|be deported)\b",
    r"\bshould (?:i|we) (?:get )?(?:marry|married|apply|leave|go|stay|file|sign|tell)\b",
    # What to say or show before an official in one's own case.
    r"\b(?:should|do|can|must|shall|would) (?:i|we|he|she|they|my \w+|our \w+) (?:tell|say|mention"
    r"|disclose|admit|explain|show|bring up)(?: \w+){0,3}? (?:to |at |in |with )?"
    r"(?:the |an |a |my |our |his |her )?"
    r"(?:judge|officer|officers|ice|immigration|agent|agents|interviewer|uscis|dhs|court"
    r"|hearing|interview|check in|prosecutor|police)\b",
    r"\bwhat (?:should|do|can|must|shall) (?:i|we|he|she|they) (?:tell|say|mention|show|bring)\b",
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
    r"\b(?:apply|applies|cover|covers|include|includes|protect|protects) (?:to |for )?(?:me|us)\b",
    r"\bam i (?:included|protected|eligible|covered)\b",
)

# Words that put a request for help in immigration territory ("help me with my resume" is not).
_IMMIGRATION = _any(
    r"\bvisa\b|\bice\b|\bdeport\w*|\bimmigra\w*|\bstatus\b|\bgreen card\b|\bcitizen\w*",
    r"\bsponsor\w*|\bpetition\w*|\basylum\b|\blawyer\b|\battorney\b|\blegal\b|\bcourt\b",
    r"\bcase\b|\bpapers\b|\bqualify\b|\beligible\b|\bguidance\b|\bpolicy\b|\bmarr\w*",
    r"\bdocuments?\b|\bproof\b|\bprove\b|\bevidence\b",
    rf"\b(?:{_PEOPLE})(?:s|es)?\b|\bstay\b|\bremoval\b|\buscis\b|\bdhs\b",
    r"\bjudge\b|\bhearing\b|\bofficer\b|\bcheck in\b|\bmigra\b",
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


# Spanish: the same signals, from how people write about their own case in Spanish (and
# Spanglish), matched on the text without accents ("deportación" and "deportacion" alike).
_PEOPLE_ES = (
    r"pareja|esposo|esposa|marido|mujer|novio|novia|prometido|prometida|partner|familia|hijo"
    r"|hija|mama|papa|madre|padre|hermano|hermana|companero|companera|jevo|jeva|bf|gf"
    r"|chavo|chava|chico|chica|morro|morra|viejo|vieja|amor|hombre"
)
_OWN_THINGS_ES = (
    r"caso|visa|estatus|status|audiencia|corte|abogado|abogada|green card|solicitud|peticion"
    r"|situacion|papeles|pasaporte|permiso de trabajo|asilo|cita|residencia|court date"
)
_ARRESTED_ES = (
    r"detuvo|detuvieron|agarro|agarraron|arresto|arrestaron|deporto|deportaron|llevo|llevaron"
    r"|paro|pararon|levanto|levantaron|quieren deportar|van a deportar|pueden deportar"
    r"|cogio|cogieron|encerraron|lleven|van a llevar|tienen (?:en|ahi|alla|encerrad\w*"
    r"|detenid\w*|pres[oa]s?)"
)

_PERSONAL_ES = _any(
    rf"\b(?:mi|mis|nuestro|nuestra|nuestros|nuestras)(?: \w+){{0,2}} (?:{_PEOPLE_ES})(?:s|es)?\b",
    rf"\b(?:mi|mis|nuestro|nuestra|nuestros|nuestras)(?: \w+)? (?:{_OWN_THINGS_ES})\b",
    rf"\b(?:lo|la|los|las|le|les|me|nos) (?:{_ARRESTED_ES})\b",
    r"\b(?:tengo|tenemos|estoy|estamos|soy|somos|vivo|vivimos|llegue|llegamos|entre|entramos"
    r"|recibi|recibimos|me case|nos casamos|me quede|nos quedamos|me llego|nos llego"
    r"|voy|vamos|fui|fuimos|tuve|tuvimos)\b",
    r"\b(?:de|a) mi (?:pareja|esposo|esposa|novio|novia|partner)\b",
)

_SITUATION_ES = _any(
    r"\baudiencia\b|\bcorte\b|\bjuez\b|\bjueza\b|\bcourt\b|\bcomparecencia\b|\bnta\b",
    r"\bdetenid\w*|\bdetencion\b|\bdetuv\w*|\barrest\w*|\bagarr\w*|\bcarcel\b|\bpres[oa]\b",
    r"\bcustodia\b|\bla migra\b|\bice (?:vino|llego|toco|se llevo|detuvo|agarro|paro|esta)\b",
    # Detention in slang ("la hielera", "lo tienen"), stops that end in custody ("lo pararon").
    r"\bhielera\b|\bperrera\b|\bencerrad[oa]s?\b|\bencerraron\b|\breten\b|\bretenes\b"
    r"|\bcheckpoint\b",
    r"\bse (?:lo|la|los|las) (?:llevaron|llevo|lleven|llevaran|van a llevar|pueden llevar)\b",
    r"\b(?:lo|la|los|las|me|nos) (?:pararon|paro|cogio|cogieron|levantaron)\b",
    r"\b(?:lo|la|los|las|me|nos) tienen (?:en|ahi|alla|pres[oa]s?)\b|\bque (?:lo|la|los|las)"
    r" tienen\b|\b(?:lo|la|los|las) tienen$",
    # Reporting to immigration, a condition of release ("firmar con ICE", "el grillete").
    r"\b(?:reportar\w*|reporto|reporta|firmar\w*|firma|firmo|presentar\w*|presenta|presento)"
    r" (?:con|en|ante|a) (?:la |el )?(?:migra|migracion|inmigracion|ice|uscis|oficial|juez)\b",
    r"\bgrillete\b|\bbrazalete electronico\b|\boficial de (?:ice|inmigracion|migracion|asilo"
    r"|uscis)\b",
    # Arriving on a visa, one's own entry history ("entré con visa de turista").
    r"\bvisa de (?:turista|estudiante|trabajo|prometid[oa]|paseo|visitante)\b",
    r"\b(?:entre|entramos|entro|llegue|llegamos|llego|vine|vinimos)(?: \w+){0,3} (?:con|en|sin)"
    r" (?:una |la |mi )?(?:visa|papeles|permiso|pasaporte)\b",
    r"\borden de (?:deportacion|remocion|salida)\b|\bdeportacion\b|\bdeportad\w*|\bdeportar\w*",
    r"\bremocion\b|\ben proceso\b|\bproceso de (?:deportacion|remocion|asilo)\b",
    r"\b(?:visa|permiso|estatus|pasaporte|status) (?:vencid[oa]|expirad[oa]|se vencio|vence)\b",
    r"\bse (?:me |le |nos |les )?(?:vencio|vencieron|expiro|acabo) (?:la |el )?(?:visa|permiso"
    r"|estatus|pasaporte|status)\b",
    r"\bsin papeles\b|\bindocumentad\w*|\bsin estatus\b|\bfuera de estatus\b|\bme quede\b",
    r"\bcruce la frontera\b|\bcruzamos la frontera\b|\bentre sin\b|\bentramos sin\b",
    r"\bpermiso de trabajo\b|\basilo\b|\bme (?:lo |la )?negaron\b|\bnos (?:lo |la )?negaron\b",
    r"\b(?:cita|entrevista) (?:en|con|de) (?:inmigracion|migracion|la migra|uscis|ice|el juez"
    r"|el oficial)\b",
    r"\bcarta de (?:ice|uscis|inmigracion)\b|\bme llego una carta\b|\bnos llego una carta\b",
    # Mail from the immigration authorities ("un sobre de migración", "carta del ICE").
    r"\b(?:carta|cartas|sobre|aviso|notificacion|citatorio|papel|papeles|correo) (?:de|del|de la)"
    r" (?:ice|uscis|inmigracion|migracion|la migra|migra|seguridad nacional"
    r"|corte de inmigracion)\b",
    r"\bno (?:tiene|tienen|tengo|tenemos|tenia|tenian) (?:papeles|estatus|status"
    r"|documentos)\b",
    r"\bsalida voluntaria\b|\bautodeport\w*",
    # Travel that risks one's own re-entry ("¿puede viajar mi pareja?").
    r"\b(?:puede|puedo|podemos|pueden|podria|podriamos|es seguro|es peligroso|es riesgoso"
    r"|es arriesgado|arriesgado|peligroso|riesgoso)(?: \w+){0,2} (?:viajar|volar|salir del pais"
    r"|salir de estados unidos|ir a (?:su|mi) pais)\b",
    # Said of one person ("que no lo deporten"); "los" is as often people in general.
    r"\b(?:lo|la|me|nos) (?:deporten|deportaran|deporte|vayan a deportar|saquen del pais)\b",
    r"\bdui\b|\bantecedentes\b|\brecord criminal\b|\bcondena\w*|\bdelito\b",
    r"\blos papeles de (?:mi|nuestro|nuestra)\b|\b(?:nos casamos|me case|estamos casad[oa]s)\b",
    r"\bunion civil\b|\bpareja de hecho\b|\bcourt date\b",
)

_ADVICE_ES = _any(
    r"\bque (?:hago|hacemos|puedo hacer|podemos hacer|debo hacer|debemos hacer|tengo que hacer"
    r"|tenemos que hacer|me recomiendan|nos recomiendan|me aconsejan)\b",
    r"\b(?:califico|calificamos|calificaria|calificariamos|aplico|aplicamos|soy elegible"
    r"|somos elegibles)\b|\b(?:califica|aplica|es elegible) (?:mi|nuestra|nuestro)\b",
    r"\b(?:puedo|podemos|podria|podriamos) (?:pedir|pedirle|patrocinar|arreglar|aplicar"
    r"|solicitar|quedarme|quedarnos|sacar|traer|casarme|casarnos|meter|hacer algo)\b",
    r"\b(?:puede|podria) (?:mi \w+ )?(?:pedirme|patrocinarme|arreglarme|quedarse|pedir por mi)\b",
    r"\b(?:cuales son|que) (?:mis|nuestras) (?:opciones|posibilidades|chances)\b",
    r"\bque (?:opciones|chances|posibilidades) (?:tengo|tenemos|hay para mi)\b",
    r"\b(?:ayudame|ayudenme|ayudanos|necesito ayuda|necesitamos ayuda)\b",
    r"\bno (?:se|sabemos) que hacer\b|\b(?:mi|nuestro) caso\b|\b(?:mi|nuestra) situacion\b",
    r"\b(?:necesito|buscar|conseguir|recomiendan|recomienden) (?:un |una )?(?:abogad[oa])\b",
    r"\b(?:asesoria|ayuda|consejo) legal\b|\bme (?:afecta|ayuda|sirve) (?:esto|esta)\b",
    r"\bnos (?:afecta|ayuda|sirve) (?:esto|esta)\b",
    r"\b(?:ella|el|mi \w+|nuestr[oa] \w+) (?:califica|calificaria|es elegible)\b",
    r"\b(?:nos|me) (?:conviene|convendria|conviene mas)\b",
    # Proving one's own relationship ("¿cómo demuestro que mi relación es real?").
    r"\bcomo (?:demuestro|demostramos|pruebo|probamos|compruebo|comprobamos|muestro|mostramos"
    r"|demostrar|probar|comprobar)\b",
    r"\bque (?:papeles|documentos|pruebas|evidencias?) (?:necesito|necesitamos|ocupo|ocupamos"
    r"|tengo que|tenemos que|debo|debemos|hay que|pido|piden)\b",
    r"\b(?:mostrar|demostrar|probar|comprobar) que (?:somos|soy|estamos|mi|nuestra|nuestro)\b",
    # What to say or show before an official in one's own case ("¿le digo al juez...?").
    r"\b(?:le|les) (?:digo|decimos|menciono|mencionamos|cuento|contamos|explico|muestro|enseno"
    r"|debo decir|debemos decir|tengo que decir|tenemos que decir|puedo decir|deberia decir)\b",
    r"\b(?:debo|debemos|deberia|deberiamos|tengo que|tenemos que|puedo|podemos) (?:decirle"
    r"|decirles|mencionarle|mencionarles|contarle|explicarle|mostrarle|ensenarle)\b",
)

_ELIGIBILITY_ES = _any(
    r"\b(?:cuenta|califica|sirve|alcanza) (?:mi|nuestra|nuestro) (?:\w+ )?(?:relacion|pareja"
    r"|union|matrimonio)\b",
    r"\b(?:mi|nuestra) relacion (?:cuenta|califica|es suficiente|sirve)\b",
    r"\b(?:(?:es|sera|seria) suficiente|basta|alcanza) para que no (?:lo|la|me|nos)\b",
    r"\b(?:me|nos) (?:aplica|aplicaria|aplican|cubre|cubriria|protege|protegeria|incluye)\b",
    r"\b(?:aplica|aplicaria|cubre|protege|sirve) (?:para|a) (?:mi|nosotros|nosotras)$",
)

_IMMIGRATION_ES = _any(
    r"\bvisa\b|\bice\b|\bmigra\b|\bdeport\w*|\binmigra\w*|\bmigratori\w*|\bestatus\b",
    r"\bgreen card\b|\bresidencia\b|\bciudadan\w*|\bpatrocin\w*|\bpeticion\b|\bpedir\w*",
    r"\basilo\b|\babogad\w*|\blegal\b|\bcorte\b|\bcaso\b|\bpapeles\b|\bcalific\w*|\belegible\b",
    r"\bdocumentos\b|\bpruebas\b|\bremocion\b|\buscis\b|\bdhs\b|\bquedar\w*|\bguia\b",
    r"\brelacion\b|\bunion\b|\bevidencias?\b",
    rf"\b(?:{_PEOPLE_ES})(?:s|es)?\b",
    r"\bmigracion\b|\bjuez\b|\bjueza\b|\baudiencia\b|\boficial\b|\bcasar\w*|\bmatrimonio\b",
)

_THANKS_ES = _any(r"\bgracias\b|\bmil gracias\b|\bque buen bot\b|\bbuen bot\b|\bte pasaste\b")

_SIGNALS_ES = (
    ("advice", _ADVICE_ES),
    ("eligibility", _ELIGIBILITY_ES),
    ("personal", _PERSONAL_ES),
    ("situation", _SITUATION_ES),
    ("immigration", _IMMIGRATION_ES),
    ("thanks", _THANKS_ES),
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
    unaccented = _without_accents(spaced)
    signals = tuple(
        name
        for (name, pattern), (_, spanish) in zip(_SIGNALS, _SIGNALS_ES, strict=True)
        if pattern.search(spaced) or spanish.search(unaccented)
    )
    # Asking for advice on one's own case, or describing one's own case (even without a
    # question: people post their situation hoping for help).
    advice = "advice" in signals and "immigration" in signals
    legal = advice or "eligibility" in signals or ("personal" in signals and "situation" in signals)
    return Triage(legal, signals)


def _without_accents(text: str) -> str:
    """Drop accents (Spanish is often typed without them): `deportación` -> `deportacion`."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
