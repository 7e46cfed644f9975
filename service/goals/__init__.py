"""Success-plan goals: the customer's business outcomes, each with a success criterion and progress.

Goals start in a handoff record (a list in its document) and become rows here when the CSM accepts
the handoff; from then on they outlive it as the account's success plan (``Account.goals``).
"""
