"""The whole bot on one machine with no accounts: PagerDuty, Opsgenie and Slack simulators over real
HTTP on 127.0.0.1, a seeded account, the real bot process and a terminal session (`oncall-bot sandbox`).

Nothing here imports pytest or respx; the tests reuse these simulators.
"""
