"""Dutch for the workbench: the words of `check`, `test`, `explain`, `diff` and `stats`.

The commands speak Dutch by default (`--lang en` for English). Messages about rule files
are made in English where they are found (the loader's RuleError, the condition parser, the
shared RuleChecks, which the API and logs also use); `nl(message)` gives the Dutch form of
each known message shape at the moment it is shown. A message of a shape not listed here is
shown in English rather than guessed at; `test_workbench_dutch.py` breaks the rules in many
ways and holds every message check prints to a Dutch form.
"""
from __future__ import annotations

import re
from typing import Any

LANGS = ("nl", "en")

_RULE = r"(?P<rule>\[[^\]]+\] )?"  # the rule id the condition parser puts first
_REST = r"(?P<rest>.*)"  # a trailing suggestion, translated by _PHRASES

_MESSAGES: list[tuple[str, Any]] = [  # (pattern, template or function of the match)
    # files and YAML
    (r"rules folder not found", "map met regels niet gevonden"),
    (r"rule file missing", "regelbestand ontbreekt"),
    (r"rule file missing: a pack folder holds (?P<a>\S+) and (?P<b>\S+)", r"regelbestand ontbreekt: een pakketmap bevat \g<a> en \g<b>"),
    (r"packs folder not found \(--packs, \$WEGWIJZER_PACKS\)", "map met pakketten niet gevonden (--packs, $WEGWIJZER_PACKS)"),
    (r"a link to a pack that is not there \((?P<to>.*)\)", r"een koppeling naar een pakket dat er niet is (\g<to>)"),
    (r"a pack itself, not a folder of packs: give the folder that holds it \(--packs (?P<f>.*)\)",
     r"dit is zelf een pakket, geen map met pakketten: geef de map waarin het staat (--packs \g<f>)"),
    (r"pack '(?P<p>[^']*)' exists already: (?P<f>.*); give this municipality another id \(and folder\)",
     r"pakket '\g<p>' bestaat al: \g<f>; geef deze gemeente een andere id (en map)"),
    (r"the file must hold a mapping at the top", "het bestand moet bovenaan een mapping bevatten"),
    (r"cannot read: (?P<why>.*)", r"kan niet lezen: \g<why>"),
    (r"YAML syntax: (?P<why>.*)", r"YAML-syntaxfout: \g<why>"),
    (r"not UTF-8 text \(byte (?P<b>\d+)\); save the file as UTF-8",
     r"geen UTF-8-tekst (byte \g<b>); sla het bestand op als UTF-8"),
    (r"key '(?P<key>.*)' appears twice in one mapping \(first on line (?P<first>\d+)\)",
     r"sleutel '\g<key>' staat twee keer in één mapping (eerst op regel \g<first>)"),
    (r"nested more than (?P<n>\d+) deep", r"meer dan \g<n> niveaus diep genest"),
    (r"an alias refers to the value that holds it \(a loop\)", "een alias verwijst naar de waarde waar die zelf in staat (een lus)"),
    (r"expands to more than (?P<n>[\d,]+) values through its aliases \(\*name\); write them out or use fewer",
     r"groeit via aliassen (*naam) uit tot meer dan \g<n> waarden; schrijf ze uit of gebruik er minder"),
    # schema
    (r"(?P<owner>.*): no source; cite the report \(seed:L<n>\) or say 'practice'",
     r"\g<owner>: geen bron; verwijs naar het rapport (seed:L<n>) of schrijf 'practice'"),
    # shared rule checks (rulebook.RuleChecks)
    (r"duplicate (?P<what>intervention|node|rule) id '(?P<id>[^']*)' \(first on line (?P<first>\d+)\)",
     r"dubbele id '\g<id>' (\g<what>; eerst op regel \g<first>)"),
    (r"(?P<what>.*): unknown intervention '(?P<id>[^']*)'" + _REST, r"\g<what>: onbekende interventie '\g<id>'\g<rest>"),
    # municipality packs (rulebook.RuleChecks.municipality_packs, pack_forms)
    (r"id '(?P<m>[^']*)' differs from the pack's folder name '(?P<f>[^']*)'; name the folder as the id",
     r"id '\g<m>' verschilt van de mapnaam '\g<f>' van het pakket; geef de map de naam van de id"),
    (r"municipality '(?P<m>[^']*)' has a pack already: (?P<f>.*)", r"gemeente '\g<m>' heeft al een pakket: \g<f>"),
    (r"code '(?P<c>[^']*)' is the code of another pack already: (?P<f>.*); a CBS code names one municipality",
     r"code '\g<c>' is al de code van een ander pakket: \g<f>; een CBS-code hoort bij één gemeente"),
    (r"variant: '(?P<m>[^']*)' needs one of (?P<vs>\[.*\]) \(resolution.yaml\), got (?P<v>'[^']*')" + _REST,
     r"variant: '\g<m>' heeft een van \g<vs> nodig (resolution.yaml), niet \g<v>\g<rest>"),
    (r"collaboration missing for lead rule (?P<r>.*) \(a form for every lead rule of lead_coordinator.yaml that can apply in (?P<m>[^)]*)\)",
     r"samenwerkingsvorm ontbreekt voor regievoerderregel \g<r> (een vorm voor elke regel van lead_coordinator.yaml die in \g<m> kan gelden)"),
    (r"collaboration for '(?P<r>[^']*)', which is not a rule of lead_coordinator.yaml" + _REST,
     r"samenwerkingsvorm voor '\g<r>', maar dat is geen regel van lead_coordinator.yaml\g<rest>"),
    (r"collaboration for '(?P<r>[^']*)', which cannot apply in (?P<m>[^:]*): the form is never used \(not needed\)",
     r"samenwerkingsvorm voor '\g<r>', maar die regel kan in \g<m> niet gelden: de vorm wordt nooit gebruikt (niet nodig)"),
    (r"municipality '(?P<m>[^']*)': rules from before municipality packs have no CBS code, and no shipped pack has one for it",
     r"gemeente '\g<m>': regels van voor de gemeentepakketten hebben geen CBS-code, en geen meegeleverd pakket heeft er een voor haar"),
    (r"organisation '(?P<o>[^']*)' appears twice in (?P<m>\w+) \(first on line (?P<first>\d+)\)",
     r"organisatie '\g<o>' staat twee keer in \g<m> (eerst op regel \g<first>)"),
    (r"pilot organisation '(?P<o>[^']*)' is not on the (?P<m>\w+) map" + _REST,
     r"pilotorganisatie '\g<o>' staat niet op de sociale kaart van \g<m>\g<rest>"),
    (r"(?P<where>[\w-]+/[\w-]+): a warm handover to another organisation than the pilot's shares what is known of the client; set shares_data: true \(consent\)",
     r"\g<where>: een warme overdracht naar een andere organisatie dan die van de pilot deelt wat over de deelnemer bekend is; zet shares_data: true (toestemming)"),
    (r"pilot role '(?P<r>[^']*)' has no labels under 'roles' in lead_coordinator.yaml",
     r"pilotrol '\g<r>' heeft geen labels onder 'roles' in lead_coordinator.yaml"),
    (r"decision node '(?P<n>[^']*)': (?P<k>question_nl|question_en) says '(?P<q>[^']*)', but its condition has no such threshold; say the condition's number \(or change the condition\)",
     r"beslisknoop '\g<n>': \g<k> zegt '\g<q>', maar de voorwaarde heeft die grens niet; noem het getal van de voorwaarde (of pas de voorwaarde aan)"),
    (r"action node '(?P<n>[^']*)': waits_for: unknown intervention '(?P<i>[^']*)'" + _REST,
     r"actieknoop '\g<n>': waits_for: onbekende interventie '\g<i>'\g<rest>"),
    (r"step_plan.trust_not_awaited_when: '(?P<q>[^']*)' is not a decision of the flowchart" + _REST,
     r"step_plan.trust_not_awaited_when: '\g<q>' is geen beslisknoop van het stroomschema\g<rest>"),
    (r"decision node '(?P<n>[^']*)' needs 'when' \(its condition\)", r"beslisknoop '\g<n>' heeft 'when' nodig (de voorwaarde)"),
    (r"decision node '(?P<n>[^']*)' needs '(?P<k>[^']*)'", r"beslisknoop '\g<n>' heeft '\g<k>' nodig"),
    (r"decision node '(?P<n>[^']*)' is missing its '(?P<k>[^']*)' branch", r"beslisknoop '\g<n>' mist de tak '\g<k>'"),
    (r"action node '(?P<n>[^']*)' has no intervention, so no label to show",
     r"actieknoop '\g<n>' heeft geen interventie, dus geen label om te tonen"),
    (r"action node '(?P<n>[^']*)' has no label: intervention '(?P<i>[^']*)' is not in the catalogue \(interventions.yaml\)" + _REST,
     r"actieknoop '\g<n>' heeft geen label: interventie '\g<i>' staat niet in de catalogus (interventions.yaml)\g<rest>"),
    (r"action node '(?P<n>[^']*)' needs 'next' \(where the chart goes on\)",
     r"actieknoop '\g<n>' heeft 'next' nodig (waar het schema verder gaat)"),
    (r"action node '(?P<n>[^']*)' needs '(?P<k>[^']*)'", r"actieknoop '\g<n>' heeft '\g<k>' nodig"),
    (r"'(?P<n>[^']*)' (?P<k>yes|no|next) points to unknown node '(?P<t>[^']*)'" + _REST,
     r"'\g<n>' \g<k> wijst naar onbekende knoop '\g<t>'\g<rest>"),
    (r"start node '(?P<n>[^']*)' not found" + _REST, r"startknoop '\g<n>' niet gevonden\g<rest>"),
    (r"rule '(?P<r>[^']*)': profile '(?P<p>[^']*)' has no labels under 'profiles'" + _REST,
     r"regel '\g<r>': profiel '\g<p>' heeft geen labels onder 'profiles'\g<rest>"),
    (r"rule '(?P<r>[^']*)': role '(?P<o>[^']*)' has no labels under 'roles'" + _REST,
     r"regel '\g<r>': rol '\g<o>' heeft geen labels onder 'roles'\g<rest>"),
    (r"rule '(?P<r>[^']*)': no organisation offers '(?P<i>[^']*)' on the social map of (?P<m>.*)",
     r"regel '\g<r>': geen organisatie biedt '\g<i>' aan op de sociale kaart van \g<m>"),
    (_RULE + r"(?P<f>(except_)?municipalities): '(?P<m>[^']*)' is not a municipality of the rules \(a pack in municipalities/\)" + _REST,
     r"\g<rule>\g<f>: '\g<m>' is geen gemeente van de regels (een pakket in municipalities/)\g<rest>"),
    (_RULE + r"give 'municipalities' or 'except_municipalities', not both",
     r"\g<rule>geef 'municipalities' of 'except_municipalities', niet allebei"),
    (r"rule '(?P<r>[^']*)': collaboration '(?P<c>[^']*)' has no labels under 'collaborations'" + _REST,
     r"regel '\g<r>': samenwerkingsvorm '\g<c>' heeft geen labels onder 'collaborations'\g<rest>"),
    (r"already_covered_by_support: '(?P<k>[^']*)' is not a kind of support" + _REST,
     r"already_covered_by_support: '\g<k>' is geen soort ondersteuning\g<rest>"),
    # conditions (conditions.parse)
    (_RULE + r"the condition nests all/any/not more than (?P<n>\d+) deep; the rule engine cannot compile it",
     r"\g<rule>de voorwaarde nest all/any/not meer dan \g<n> diep; de regelmachine kan die niet vertalen"),
    (_RULE + r"a condition must be a mapping, got (?P<v>.*)", r"\g<rule>een voorwaarde moet een mapping zijn, niet \g<v>"),
    (_RULE + r"'(?P<k>[^']*)' must stand alone in its mapping, found also (?P<v>.*)",
     r"\g<rule>'\g<k>' moet alleen in zijn mapping staan, maar daar staat ook \g<v>"),
    (_RULE + r"'(?P<k>[^']*)' takes a non-empty list of conditions", r"\g<rule>'\g<k>' verwacht een niet-lege lijst voorwaarden"),
    (_RULE + r"unknown field '(?P<f>[^']*)'" + _REST, r"\g<rule>onbekend veld '\g<f>'\g<rest>"),
    (_RULE + r"'(?P<f>[^']*)' takes exactly one operator, got (?P<v>.*)", r"\g<rule>'\g<f>' verwacht precies één operator, niet \g<v>"),
    (_RULE + r"unknown operator '(?P<o>[^']*)' for '(?P<f>[^']*)'" + _REST,
     r"\g<rule>onbekende operator '\g<o>' bij '\g<f>'\g<rest>"),
    (_RULE + r"'(?P<f>[^']*)' is a list: use 'contains'", r"\g<rule>'\g<f>' is een lijst: gebruik 'contains'"),
    (_RULE + r"'(?P<f>[^']*)' never contains '(?P<v>[^']*)'" + _REST, r"\g<rule>'\g<f>' bevat nooit '\g<v>'\g<rest>"),
    (_RULE + r"'contains' only applies to list fields, not '(?P<f>[^']*)'", r"\g<rule>'contains' past alleen bij lijstvelden, niet bij '\g<f>'"),
    (_RULE + r"'(?P<o>[^']*)' takes a non-empty list", r"\g<rule>'\g<o>' verwacht een niet-lege lijst"),
    (_RULE + r"'(?P<f>[^']*)' is true/false: compare it with true or false", r"\g<rule>'\g<f>' is waar/onwaar: vergelijk met true of false"),
    (_RULE + r"'(?P<f>[^']*)' is a choice: use eq, neq, in or not_in", r"\g<rule>'\g<f>' is een keuze: gebruik eq, neq, in of not_in"),
    (_RULE + r"'(?P<f>[^']*)' is never '(?P<v>[^']*)'(?P<rest>.*); it is one of (?P<vs>.*) \(the municipalities of the rules: a pack each in municipalities/\)",
     r"\g<rule>'\g<f>' is nooit '\g<v>'\g<rest>; het is een van \g<vs> (de gemeenten van de regels: elk een pakket in municipalities/)"),
    (_RULE + r"'(?P<f>[^']*)' is a choice of names, got (?P<v>.*)", r"\g<rule>'\g<f>' is een keuze uit namen, niet \g<v>"),
    (_RULE + r"'(?P<f>[^']*)' is never '(?P<v>[^']*)'(?P<rest>.*); it is one of (?P<vs>.*)",
     r"\g<rule>'\g<f>' is nooit '\g<v>'\g<rest>; het is een van \g<vs>"),
    (_RULE + r"'(?P<f>[^']*)' is a number, got (?P<v>.*)", r"\g<rule>'\g<f>' is een getal, niet \g<v>"),
    (_RULE + r"'(?P<f>[^']*)' (?P<o>\w+) (?P<v>\S+): not a finite number", r"\g<rule>'\g<f>' \g<o> \g<v>: geen eindig getal"),
    (_RULE + r"'(?P<f>[^']*)' (?P<o>\w+) (?P<v>\S+): too large or too small: the rule engine reads no exponent notation \(write it out, e.g. 0.0001\)",
     r"\g<rule>'\g<f>' \g<o> \g<v>: te groot of te klein: de regelmachine leest geen exponent (schrijf het getal uit, bijv. 0.0001)"),
    (_RULE + r"'(?P<f>[^']*)' (?P<o>\w+) (?P<v>\S+): beyond (?P<n>[\d,]+) the rule engine does not compare exactly",
     r"\g<rule>'\g<f>' \g<o> \g<v>: boven \g<n> vergelijkt de regelmachine niet exact"),
    (_RULE + r"'(?P<f>[^']*)' (?P<o>\w+) (?P<v>\S+) can never hold: the field runs from (?P<lo>\S+) to (?P<hi>\S+)",
     r"\g<rule>'\g<f>' \g<o> \g<v> kan nooit waar zijn: het veld loopt van \g<lo> tot \g<hi>"),
    (_RULE + r"the condition expands to (?P<n>\d+) alternatives in the rule engine, at most (?P<m>\d+): split the rule",
     r"\g<rule>de voorwaarde wordt in de regelmachine \g<n> alternatieven, hoogstens \g<m>: splits de regel"),
    (r"the rule engine \(durable-rules\) cannot compile this condition: (?P<why>.*)",
     r"de regelmachine (durable-rules) kan deze voorwaarde niet vertalen: \g<why>"),
    # scenario files (engine.scenarios.load_file)
    (r"a scenario file holds a mapping with 'cases' \(and optionally 'defaults'\)",
     "een scenariobestand bevat een mapping met 'cases' (en eventueel 'defaults')"),
    (r"unknown key '(?P<k>[^']*)'" + _REST, r"onbekende sleutel '\g<k>'\g<rest>"),
    (r"'defaults' must be a mapping \(part of an assessment\)", "'defaults' moet een mapping zijn (een deel van een beoordeling)"),
    (r"'cases' must be a non-empty list", "'cases' moet een niet-lege lijst zijn"),
    (r"each case must be a mapping with at least 'name' and 'assessment'",
     "elke casus moet een mapping zijn met ten minste 'name' en 'assessment'"),
    (r"a case needs a 'name' \(what a coach would call it\)", "een casus heeft een 'name' nodig (zoals een coach hem zou noemen)"),
    (r"two cases are named '(?P<n>[^']*)'", r"twee casussen heten '\g<n>'"),
    (r"a scenario takes either 'assessment' or 'case' \(a file over time\)",
     "een scenario heeft 'assessment' of 'case' (een dossier door de tijd), niet allebei"),
    (r"'(?P<k>[^']*)' must be a mapping", r"'\g<k>' moet een mapping zijn"),
    (r"'xfail' takes the reason as text", "'xfail' krijgt de reden als tekst"),
    (r"'(?P<k>[^']*)' must be a list of rule or node ids", r"'\g<k>' moet een lijst van regel- of knoop-id's zijn"),
    (r"'(?P<k>[^']*)': unknown rule or node '(?P<r>[^']*)'" + _REST, r"'\g<k>': onbekende regel of knoop '\g<r>'\g<rest>"),
    (r"'(?P<k>[^']*)': '(?P<r>[^']*)' is ambiguous; write it as <file>/<id>",
     r"'\g<k>': '\g<r>' is niet eenduidig; schrijf het als <bestand>/<id>"),
    (r"listed under both fires and silent: (?P<ids>.*)", r"staat onder zowel fires als silent: \g<ids>"),
    (r"an invalid-input case \(error_fields\) takes no fires, silent or other expectations",
     "een casus met ongeldige invoer (error_fields) heeft geen fires, silent of andere verwachtingen"),
    (r"'expect' must be a mapping", "'expect' moet een mapping zijn"),
    (r"unknown expectation '(?P<k>[^']*)'" + _REST, r"onbekende verwachting '\g<k>'\g<rest>"),
    (r"expect\.(?P<k>\S+) maps intervention ids to now, next or later",
     r"expect.\g<k> koppelt interventie-id's aan now, next of later"),
    (r"expect\.(?P<k>\S+) must be a list of ids", r"expect.\g<k> moet een lijst van id's zijn"),
    (r"expect\.(?P<k>\S+) must be one id", r"expect.\g<k> moet één id zijn"),
    (r"expect\.(?P<k>[^:]+): unknown '(?P<v>[^']*)'" + _REST, r"expect.\g<k>: onbekend '\g<v>'\g<rest>"),
    # check's own analyses
    (r"the rule engine \(durable-rules\) crashed compiling the rules \((?P<how>.*)\)",
     r"de regelmachine (durable-rules) liep vast bij het vertalen van de regels (\g<how>)"),
    (r"the rule engine \(durable-rules\) did not finish compiling the rules within (?P<s>\d+) s",
     r"de regelmachine (durable-rules) was niet binnen \g<s> s klaar met het vertalen van de regels"),
    (r"action '(?P<n>[^']*)' can suggest '(?P<i>[^']*)' in (?P<m>.*), but no organisation on the social map there offers it; add it to an organisation's services in the municipality's social_map.yaml \(rules/municipalities/<id>/\), or mark it `provider: pilot_professional` in interventions.yaml if the pilot professional does it personally",
     r"actie '\g<n>' kan '\g<i>' voorstellen in \g<m>, maar geen organisatie op de sociale kaart daar biedt het aan; voeg het toe aan de diensten van een organisatie in de social_map.yaml van de gemeente (rules/municipalities/<id>/), of markeer het `provider: pilot_professional` in interventions.yaml als de pilotprofessional het zelf doet"),
    (r"the condition of '(?P<n>[^']*)' can never hold, so its 'yes' branch \(to '(?P<t>[^']*)'\) is never taken",
     r"de voorwaarde van '\g<n>' kan nooit waar zijn, dus de tak 'yes' (naar '\g<t>') wordt nooit genomen"),
    (r"the condition of '(?P<n>[^']*)' always holds, so its 'no' branch \(to '(?P<t>[^']*)'\) is never taken",
     r"de voorwaarde van '\g<n>' is altijd waar, dus de tak 'no' (naar '\g<t>') wordt nooit genomen"),
    (r"node '(?P<n>[^']*)' cannot be reached from start '(?P<s>[^']*)'", r"knoop '\g<n>' is vanaf start '\g<s>' niet te bereiken"),
    (r"more than (?P<n>\d+) loops; fix these first", r"meer dan \g<n> lussen; los deze eerst op"),
    (r"the flowchart loops: (?P<path>.*)", r"het stroomschema loopt rond: \g<path>"),
    (r"the flowchart has no node of type 'end'", "het stroomschema heeft geen knoop van type 'end'"),
    # pydantic's schema messages, as `path: message`
    (r"(?P<path>[\w.\[\]-]+): Field required(?P<rest>.*)", r"\g<path>: ontbreekt\g<rest>"),
    (r"(?P<path>[\w.\[\]-]+): Extra inputs are not permitted(?P<rest>.*)", r"\g<path>: onbekende sleutel\g<rest>"),
    (r"(?P<path>[\w.\[\]-]+): Input should be less than or equal to (?P<n>.*)", r"\g<path>: moet hoogstens \g<n> zijn"),
    (r"(?P<path>[\w.\[\]-]+): Input should be greater than or equal to (?P<n>.*)", r"\g<path>: moet minstens \g<n> zijn"),
    (r"(?P<path>[\w.\[\]-]+): Input should be a valid (?P<what>\w+)(?P<rest>.*)", r"\g<path>: moet een geldige \g<what> zijn\g<rest>"),
    (r"(?P<path>[\w.\[\]-]+): Input should be (?P<what>.*)", lambda m: f"{m['path']}: moet zijn: {m['what'].replace(' or ', ' of ')}"),
    (r"(?P<path>[\w.\[\]-]+): String should match pattern (?P<what>.*)", r"\g<path>: past niet bij het patroon \g<what>"),
    (r"(?P<path>[\w.\[\]-]+): String should have at least 1 character(?P<rest>.*)", r"\g<path>: mag niet leeg zijn\g<rest>"),
    (r"(?P<path>[\w.\[\]-]+): List should have at least 1 item after validation, not 0(?P<rest>.*)", r"\g<path>: mag niet leeg zijn\g<rest>"),
    (r"no path from (?P<ids>.*) reaches an end node(?P<see> \(see the loop or missing branch above\))?",
     r"geen pad vanaf \g<ids> bereikt een eindknoop"),
    (r"(?P<what>profile|lead coordinator) rule '(?P<r>[^']*)' comes after '(?P<u>[^']*)' \(line (?P<l>\d+)\), which holds for every case: it can never be chosen",
     r"regel '\g<r>' staat na '\g<u>' (regel \g<l>), die voor elke casus geldt: hij wordt nooit gekozen"),
    (r"the condition of (?P<what>profile|lead coordinator) rule '(?P<r>[^']*)' can never hold: it is never chosen",
     r"de voorwaarde van regel '\g<r>' kan nooit waar zijn: hij wordt nooit gekozen"),
    (r"no (?P<what>profile|lead coordinator) rule holds for every case; end with a rule `when: \{\}` so that every case gets one",
     r"geen regel geldt voor elke casus; eindig met een regel `when: {}` zodat elke casus er een krijgt"),
    (r"profile '(?P<p>[^']*)' is never produced by a rule that can be chosen", r"profiel '\g<p>' komt uit geen regel die gekozen kan worden"),
    (r"role '(?P<r>[^']*)' has no labels: a lead of that kind would show its bare id",
     r"rol '\g<r>' heeft geen labels: een regievoerder van die soort zou alleen de id tonen"),
    (r"intervention '(?P<i>[^']*)' is suggested by no flowchart action", r"interventie '\g<i>' wordt door geen actie in het stroomschema voorgesteld"),
    (r"intervention '(?P<i>[^']*)' is offered in no municipality's social map \(fine if the pilot professional does it personally\)",
     r"interventie '\g<i>' staat op de sociale kaart van geen enkele gemeente (goed als de pilotprofessional het zelf doet)"),
]
_COMPILED = [(re.compile(pattern, re.S), template) for pattern, template in _MESSAGES]

_PHRASES = [
    (re.compile(r" \(did you mean '([^']*)'\?\)"), r" (bedoelde je '\1'?)"),
    (re.compile(r"; valid operators: "), "; geldige operatoren: "),
    (re.compile(r" \(and (\d+) more on this line\)"), r" (en nog \1 op deze regel)"),
    (re.compile(r" \(and (\d+) more\)"), r" (en nog \1)"),
]


def nl(message: str) -> str:
    """The Dutch form of a workbench message (English if its shape is not known here)."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            message = template(match) if callable(template) else match.expand(template)
            break
    for pattern, replacement in _PHRASES:
        message = pattern.sub(replacement, message)
    return message


def condition_nl(text: str) -> str:
    """Dutch connectives in a condition as `conditions.describe` writes it (field names and
    values hold no spaces, so these words with their spaces are always the connectives)."""
    for english, dutch in ((" and ", " en "), (" or ", " of "), ("not (", "niet ("), (" not in ", " niet in "),
                           (" contains ", " bevat "), ("always", "altijd"), ("dropped from ", "weggelaten uit ")):
        text = text.replace(english, dutch)
    return text


def known(message: str) -> bool:
    """True when `nl` has a Dutch form for this message."""
    return any(pattern.fullmatch(message) for pattern, _ in _COMPILED)


def say(lang: str, message: str) -> str:
    return nl(message) if lang == "nl" else message


def add_lang(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument("--lang", choices=LANGS, default="nl", help="taal van de uitvoer / language of the output (default nl)")
