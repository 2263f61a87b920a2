"""Pure Block Kit builders, one module per surface. They take plain data and return dicts:
messages as `{"text": fallback, "blocks": [...]}`, views as the view payload."""
