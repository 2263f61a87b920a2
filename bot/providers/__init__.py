"""Provider clients (PagerDuty, Opsgenie) behind one `Provider` protocol; see `base` for the error tree."""
