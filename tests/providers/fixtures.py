"""Response bodies shaped like the providers' documented examples (see test_fixtures_conform).

The builders live in `bot.sandbox.shapes` (the sandbox simulators answer with them); only obvious
fake keys and ids appear here.
"""

from __future__ import annotations

from bot.sandbox.shapes import (  # noqa: F401  (re-exported for the tests)
    og_envelope,
    og_error,
    og_override,
    og_participant,
    og_period,
    og_rotation,
    og_schedule,
    og_timeline,
    pd_create_item,
    pd_entry,
    pd_error,
    pd_layer,
    pd_override,
    pd_ref,
    pd_schedule,
    pd_user,
    pd_users_page,
)

PD_KEY = "fake_pd_key_u+Y3s-0000AAAA"
OG_KEY = "00000000-fake-og-key-0000-aaaabbbbcccc"
PD = "https://api.pagerduty.com"
PD_EU = "https://api.eu.pagerduty.com"
OG = "https://api.opsgenie.com"
OG_EU = "https://api.eu.opsgenie.com"
