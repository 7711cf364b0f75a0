"""Dutch labels for the form's fields and choices. Ids are the contract's (CONTRACT.md)."""
from __future__ import annotations

# No municipalities here: the form lists the rulebook's (a pack each, rules/municipalities/, each by its `name`).

DOMAINS = {
    "housing": "Wonen", "daytime_activities": "Dagbesteding", "social_network": "Sociaal netwerk",
    "finances": "Financiën", "physical_health": "Lichamelijke gezondheid",
    "mental_health": "Geestelijke gezondheid", "leisure": "Vrije tijd", "safety": "Veiligheid",
    "social_contacts": "Sociale contacten",
}

SELF_RELIANCE = {1: "1 — acute problematiek", 2: "2 — niet zelfredzaam", 3: "3 — beperkt zelfredzaam",
                 4: "4 — voldoende zelfredzaam", 5: "5 — volledig zelfredzaam"}
SATISFACTION = {1: "1 — zeer ontevreden", 2: "2 — ontevreden", 3: "3 — neutraal", 4: "4 — tevreden",
                5: "5 — zeer tevreden"}

LADDER = {1: "1 — Geïsoleerd", 2: "2 — Sociale contacten buiten de deur", 3: "3 — Deelname georganiseerde activiteiten",
          4: "4 — Onbetaald werk", 5: "5 — Betaald werk met ondersteuning", 6: "6 — Betaald werk"}

CIRCUMSTANCE_FLAGS = {
    "problematic_debt": "Problematische schulden", "rent_arrears": "Huurachterstand",
    "under_administration": "Onder bewind (bewindvoering)", "illiterate": "Analfabeet of laaggeletterd",
    "low_digital_skills": "Weinig digitale vaardigheden", "addiction": "Verslaving",
    "unmet_care_need": "Onvervulde zorgvraag (bijv. gebit, onbehandelde klacht)", "informal_carer": "Mantelzorger",
    "carer_overloaded": "Mantelzorger is overbelast", "intellectual_disability": "Verstandelijke beperking",
    "autism": "Autisme", "obesity": "Obesitas", "detention_history": "Detentieverleden",
    "parenting_concerns": "Zorgen over de opvoeding", "unsafe_at_home": "Onveilig thuis",
    "housing_unsuitable": "Woning niet passend", "specific_care_question": "Kan een concrete hulpvraag formuleren",
    "unaffordable_cost": "Een noodzakelijke uitgave die de deelnemer nu niet kan betalen",
}
CIRCUMSTANCE_CHOICES = {
    "language_level": ("Taalniveau Nederlands", {"below_a1": "onder A1", "a1": "A1", "a2": "A2", "b1": "B1",
                                                 "b2_or_higher": "B2 of hoger"}),
    "psychological_complaints": ("Psychische klachten", {"none": "geen", "mild": "licht", "moderate": "matig",
                                                         "severe": "ernstig"}),
    "physical_limitation": ("Lichamelijke beperking", {"none": "geen", "mild": "licht", "severe": "ernstig"}),
}

WISHES = {
    "paid_work": "Betaald werk", "volunteering": "Vrijwilligerswerk", "social_contact": "Meer sociaal contact",
    "learn_language": "De taal leren", "learn_digital": "Digitale vaardigheden leren", "exercise": "Bewegen en sporten",
    "structure": "Structuur in de dag", "help_others": "Anderen helpen",
}

SUPPORT_KINDS = {
    "mental_health_care": "GGZ", "fact_team": "FACT-team", "outreach_care": "Bemoeizorg",
    "housing_support": "Woonbegeleiding", "ambulatory_support": "Ambulante begeleiding",
    "financial_administration": "Bewindvoering", "client_support": "Cliëntondersteuning (MEE)",
    "disability_care": "Gehandicaptenzorg", "debt_counselling": "Schuldhulpverlening",
    "social_work_team": "Sociaal wijkteam", "general_practitioner": "Huisarts", "addiction_care": "Verslavingszorg",
    "other": "Anders",
}

YES_NO = {"true": "ja", "false": "nee"}

# The Integratief Gedragsmodel as Tilburg scored it, 1 ('zeer slecht') to 10 ('uitstekend'), seed:L2937-2963.
IGM_GROUPS = (
    ("Belemmeringen (1 = zware belemmering, 10 = geen)", {
        "physical_barriers": "Fysieke belemmeringen", "psychological_barriers": "Psychische belemmeringen",
        "mental_barriers": "Mentale belemmeringen", "practical_barriers": "Praktische belemmeringen"}),
    ("Menselijk kapitaal", {"vocational_capital": "Vakgericht (werkervaring, vakvaardigheden)", "talent": "Talent"}),
    ("Eigen beeld", {"attitude": "Attitude (houding t.a.v. participatie)", "social_pressure": "Sociale druk",
                     "perceived_control": "Ervaren controle", "self_regulation": "Zelfregulering"}),
    ("Overig", {"social_network": "Sociaal netwerk (aanwezige steun)", "motivation": "Motivatie", "behaviour": "Gedrag"}),
)
IGM = {factor: label for _, group in IGM_GROUPS for factor, label in group.items()}
IGM_SCALE = {i: str(i) for i in range(1, 11)} | {1: "1 — zeer slecht", 10: "10 — uitstekend"}

# The step plan's phases (CONTRACT.md: interventions[].phase) and what a later step waits for.
PHASES = {"now": "Nu", "next": "Daarna", "later": "Later"}
WAITS_FOR_TRUST = "eerst vertrouwen opbouwen"

# field path -> what the coach sees, for error messages
FIELDS = {
    "municipality": "Gemeente", "case_id": "Casusnummer", "age": "Leeftijd", "ladder_rung": "Trede participatieladder",
    "years_on_benefit": "Jaren in de uitkering", "conversations_held": "Gesprekken gevoerd",
    "wage_value_pct": "Loonwaarde (%)", "open_to_support": "Staat open voor ondersteuning",
    "consent_to_share": "Toestemming om gegevens te delen", "domains": "Leefgebieden", "wishes": "Wensen",
    "existing_support": "Betrokken professionals", "current_interventions": "Loopt al",
    "household.single": "Alleenstaand", "household.children_under_18": "Kinderen onder de 18",
    "household.member_speaks_dutch": "Iemand in het huishouden spreekt Nederlands",
    "consent_to_share_with": "Toestemming per organisatie", "igm": "Integratief Gedragsmodel",
    **{f"circumstances.{k}": v for k, v in CIRCUMSTANCE_FLAGS.items()},
    **{f"circumstances.{k}": v[0] for k, v in CIRCUMSTANCE_CHOICES.items()},
}
PARTS = {"self_reliance": "zelfredzaamheid", "satisfaction": "tevredenheid", "priority": "belangrijkheid",
         "kind": "soort", "organisation": "organisatie", "trusted": "vertrouwd"}


def field_label(path: str) -> str:
    """'domains.finances.priority' -> 'Financiën, belangrijkheid'; unknown paths are shown as they are."""
    if path in FIELDS:
        return FIELDS[path]
    parts = path.split(".")
    if parts[0] == "domains" and len(parts) >= 2:
        name = DOMAINS.get(parts[1], parts[1])
        return f"{name}, {PARTS.get(parts[2], parts[2])}" if len(parts) > 2 else name
    if parts[0].startswith("existing_support["):
        row = parts[0][len("existing_support["):-1]
        label = f"Betrokken professional {int(row) + 1}" if row.isdigit() else "Betrokken professional"
        return f"{label}, {PARTS.get(parts[1], parts[1])}" if len(parts) > 1 else label
    if parts[0] == "igm" and len(parts) == 2:
        return f"IGM: {IGM.get(parts[1], parts[1])}"
    base = parts[0].split("[")[0]
    return FIELDS.get(base, path or "Formulier")
