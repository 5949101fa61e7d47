"""Calls for applications (Fabriques de territoire, pass numérique): window, envelope, totals.

`calls` is what procedures and drafts use (a call, its window, the granting of its envelope);
`admin` is the national team's management of the calls (list, create, change, open, close).
"""
