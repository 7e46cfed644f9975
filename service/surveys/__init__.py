"""Survey responses (NPS 0–10, CSAT 1–5): the voice of the customer behind NPS and CSAT figures."""
