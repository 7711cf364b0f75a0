"""Dutch labels for the monitor (what a person reads), with where they come from."""
from __future__ import annotations

# The factors of the Integratief Gedragsmodel as Tilburg's reporting format names them, seed:L2936-2958.
IGM_LABELS = {
    "physical_barriers": "Fysieke belemmeringen", "psychological_barriers": "Psychische belemmeringen",
    "mental_barriers": "Mentale belemmeringen", "practical_barriers": "Praktische belemmeringen",
    "vocational_capital": "Menselijk kapitaal: vakgericht", "talent": "Talent", "attitude": "Attitude",
    "social_pressure": "Sociale druk", "perceived_control": "Ervaren controle", "self_regulation": "Zelfregulering",
    "social_network": "Sociaal netwerk", "motivation": "Motivatie", "behaviour": "Gedrag",
}
# Goal Attainment Scaling, -2..+2; 0 or higher is positive (seed:L2982-2998). The report's own
# table of the scores did not survive into the text, so the words are the standard GAS ones.
GAS_LABELS = {-2: "-2 uitgangspositie", -1: "-1 minder dan het doel", 0: "0 doel behaald",
              1: "+1 meer dan het doel", 2: "+2 veel meer dan het doel"}
LADDER_LABELS = {"gedaald": "gedaald", "0": "0 treden (gelijk)", "1": "1 trede", "2": "2 treden",
                 "3 of meer": "3 of meer treden"}
REACH_LABELS = {"cases": "casussen", "contacted": "benaderd (contactpoging gelogd)",
                "reached": "bereikt (contact gelukt)", "declined": "geweigerd of afgehaakt",
                "active": "actief (interventie loopt of wachtlijst)", "closed": "afgesloten"}
# municipality names: the social map's (Rulebook.municipalities[id].name), not listed here
