"""The notification layer: turns what the services found (due reminders, handoffs) into Slack
messages and DMs. Builders are pure; each module's small sender does the one Slack call."""
