"""JSON Schemas (draft 2020-12) of the CDS Hooks 2.0 documents this project sends and takes,
written from the specification's attribute tables, for tests/test_cds_hooks.py.

Source: CDS Hooks 2.0, HL7 (https://cds-hooks.hl7.org/2.0/): "Discovery" (the response
object with `services`; a service's hook, title, description, id, prefetch,
usageRequirements), "HTTP Request" (hook, hookInstance, fhirServer, fhirAuthorization,
context, prefetch), "CDS Service Response" (cards, systemActions), "Card Attributes" (uuid,
summary "<140 characters", detail, indicator info|warning|critical, source, suggestions,
selectionBehavior, overrideReasons, links), "Source", "Suggestion", "Action", "Link",
"Coding", and "Feedback" (card, outcome accepted|overridden, acceptedSuggestions,
overrideReason {reason, userComment}, outcomeTimestamp). Also published as FHIR logical
models: http://cds-hooks.hl7.org/StructureDefinition/CDSHooksResponse and
.../CDSHooksFeedback (3.0.0 ballot; same shapes for what is used here).
Conditional rules written as JSON Schema: selectionBehavior is required when a card has
suggestions; an override reason's Coding needs `display`.
"""
from __future__ import annotations

CODING = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}, "system": {"type": "string"}, "display": {"type": "string"}},
}
OVERRIDE_REASON_CODING = {**CODING, "required": ["code", "system", "display"]}

ACTION = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {"type": {"enum": ["create", "update", "delete"]}, "description": {"type": "string"},
                   "resource": {"type": "object"}, "resourceId": {"type": "string"}},
}

SUGGESTION = {
    "type": "object",
    "required": ["label"],
    "properties": {"label": {"type": "string"}, "uuid": {"type": "string", "format": "uuid"},
                   "isRecommended": {"type": "boolean"}, "actions": {"type": "array", "items": ACTION}},
}

LINK = {
    "type": "object",
    "required": ["label", "url", "type"],
    "properties": {"label": {"type": "string"}, "url": {"type": "string"}, "type": {"enum": ["absolute", "smart"]},
                   "appContext": {"type": "string"}},
}

CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {"type": "object", "required": ["label"],
                   "properties": {"label": {"type": "string"}, "url": {"type": "string"}, "icon": {"type": "string"},
                                  "topic": CODING}},
        "suggestions": {"type": "array", "items": SUGGESTION},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": OVERRIDE_REASON_CODING},
        "links": {"type": "array", "items": LINK},
    },
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}

RESPONSE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["cards"],
    "properties": {"cards": {"type": "array", "items": CARD}, "systemActions": {"type": "array", "items": ACTION}},
}

DISCOVERY = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["services"],
    "properties": {"services": {"type": "array", "items": {
        "type": "object",
        "required": ["hook", "description", "id"],
        "properties": {"hook": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                       "id": {"type": "string"}, "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                       "usageRequirements": {"type": "string"}},
    }}},
}

REQUEST = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {"hook": {"type": "string"}, "hookInstance": {"type": "string"}, "fhirServer": {"type": "string"},
                   "fhirAuthorization": {"type": "object"}, "context": {"type": "object"},
                   "prefetch": {"type": "object"}},
}

FEEDBACK = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["feedback"],
    "properties": {"feedback": {"type": "array", "items": {
        "type": "object",
        "required": ["card", "outcome", "outcomeTimestamp"],
        "properties": {
            "card": {"type": "string", "format": "uuid"},
            "outcome": {"enum": ["accepted", "overridden"]},
            "acceptedSuggestions": {"type": "array", "items": {"type": "object", "required": ["id"],
                                                                "properties": {"id": {"type": "string"}}}},
            "overrideReason": {"type": "object", "properties": {"reason": CODING, "userComment": {"type": "string"}}},
            "outcomeTimestamp": {"type": "string", "format": "date-time"},
        },
    }}},
}
