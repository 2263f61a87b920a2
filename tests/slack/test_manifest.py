"""manifest.yml against Slack's app-manifest JSON schema (from the shared specs, never copied here)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from bot.app import BOT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = Path("slack/manifest-schema")


def specs_dir() -> Path:
    configured = os.environ.get("ONCALL_SPECS_DIR", "").strip()
    return Path(configured) if configured else ROOT.parent / "shared" / "specs"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def validator():
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    folder = specs_dir() / SCHEMA_DIR
    dispatcher = folder / "manifest.schema.json"
    if not dispatcher.is_file():
        pytest.skip(f"Slack app-manifest schema not found at {dispatcher}: set ONCALL_SPECS_DIR to a directory "
                    f"holding {SCHEMA_DIR}/manifest.schema.json and schemas/ (github.com/slackapi/manifest-schema), "
                    "or put it under ../shared/specs next to the repository (never inside it)")
    # the dispatcher $refs released copies on GitHub: serve them from the local schemas/ folder
    resources = []
    for local in (folder / "schemas").glob("manifest.schema.*.json"):
        contents = json.loads(local.read_text())
        uri = f"https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/{local.name}"
        resources.append((uri, DRAFT7.create_resource(contents)))
    registry = Registry().with_resources(resources)
    schema = json.loads(dispatcher.read_text())
    return jsonschema.Draft7Validator(schema, registry=registry)


def test_manifest_is_valid(manifest, validator):
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_catches_mistakes(manifest, validator):
    broken = json.loads(json.dumps(manifest))
    broken["features"]["slash_commands"][0]["command"] = "oncall"  # must start with /
    assert list(validator.iter_errors(broken))


def test_manifest_has_what_the_bot_needs(manifest):
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/oncall" and command["should_escape"] is True and command["usage_hint"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
