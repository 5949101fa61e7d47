"""Who hears of what a step did: in-application notifications and e-mails through an outbox.

A step computes its events (task opened, reminder, deadline passed, decision); `compose` turns
them into rows written in the step's own transaction; `outbox` sends the e-mails after commit.
"""
