"""oncall-bot: a Slack bot that owns on-call shift assignments and keeps PagerDuty and Opsgenie in line."""

__version__ = "0.1.0"
