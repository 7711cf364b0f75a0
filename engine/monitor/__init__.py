"""The team's monitor: aggregate a caseload (store or JSON Lines of Cases) into HTML and CSV."""
