"""The scripted tour (`oncall-bot sandbox --tour`, `make demo`); also the end-to-end test's script."""

TOUR = """
note 1. Alice (an admin) connects PagerDuty and Opsgenie
as alice: /oncall connect
as alice: fill Provider=PagerDuty; Display name=Acme PagerDuty; API key=pd-sandbox-read-write-key-0001
as alice: submit
expect Connected
as alice: /oncall connect
as alice: fill Provider=Opsgenie; Display name=Acme Opsgenie; API key=og-sandbox-read-write-key-0003
as alice: submit
expect Connected

note 2. She links PagerDuty's Platform schedule, exported to Opsgenie's Platform schedule as well
as alice: /oncall link
as alice: fill Provider account=Acme PagerDuty
as alice: fill Provider schedule=Platform; Horizon=21; Channel=#oncall; Also export to=Platform
as alice: submit
expect Assigned

note 3. The first export: one override per shift at both providers
as alice: /oncall sync
expect created within 60
pd who Platform +8d
og who Platform +8d
"""
TOUR += """
note 4. Someone edits PagerDuty by hand; the next background sync reads it back and alerts #oncall
pd edit Platform other +4d +4d6h
expect hand-made within 60
as alice: press Re-apply bot assignments
expect re-applied within 60
pd who Platform +4d1h

note 5. Bob swaps his next week with Alice; she accepts in a DM and both providers change at once
as bob: /oncall swap @alice
as bob: press Send request
expect Accept
as alice: press Accept
expect done within 60
pd who Platform +12d
og who Platform +12d

note 6. Carol takes time off; her shift goes to the fairest available person and is re-exported
as carol: /oncall away {date+19d} {date+20d} holiday
expect holiday within 60

note 7. Status shows each destination and the latest exported date
as alice: /oncall status Platform
expect exported
"""
