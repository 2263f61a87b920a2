"""Pure rota core: shift patterns, fair assignment generation, time off, fairness metrics.

No I/O here except `calendar_feed.fetch_ics` (one HTTP GET). See the modules for the API.
"""
