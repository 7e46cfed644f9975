"""BI metrics (defined in docs/kpis.md): revenue retention, ARR and MRR movements, expansion, outcomes, voice of
the customer, NPS, tickets, health and usage — each computed by one set-based SQL statement, grouped and bucketed,
and returned with its inputs.
"""
