"""Validate provider requests against PagerDuty's, Opsgenie's and JSM Operations' official API descriptions.

PagerDuty: `pagerduty/openapiv3.json` (OpenAPI 3.0); Opsgenie: `opsgenie/swagger.json`
(Swagger 2.0); Jira Service Management Operations: `jsm-ops/openapi-schedules.json` (OpenAPI 3.0,
Atlassian's own file with two upstream defects patched in memory only, see `_patch_jsm`), all under
`$ONCALL_SPECS_DIR`, default `../shared/specs` next to the checkout. The spec files are never copied
into this repository: absent specs mean "not checked". The two JSM *site* endpoints the bot calls
(`/_edge/tenant_info`, Jira's `/rest/api/3/user/bulk`) have no description there: `site_problems`
checks them by hand against Atlassian's documentation.

For each request: the method and path template exist, the security header and the
required header/query parameters are present, every query parameter is declared and its
values fit the declared type/enum/format, and a JSON body validates against the request
body schema ($refs resolved). Requests also have to stay inside the endpoints the bot may
use (`allowed_problems`).

Used by the sandbox (`simulator_check`: the simulators answer a non-conforming request 400 and
count it) and by the tests (`tests/conformance.py`: the `conformant_respx` fixture). The validator
libraries (`jsonschema`, `openapi-schema-validator`: the `test` extra, which `make run` installs)
are imported only when a request is checked, so the bot itself never needs them.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.provider import SimRequest

if TYPE_CHECKING:
    import jsonschema

SPECS_ENV = "ONCALL_SPECS_DIR"
PAGERDUTY_FILE = Path("pagerduty/openapiv3.json")
OPSGENIE_FILE = Path("opsgenie/swagger.json")
JSM_FILE = Path("jsm-ops/openapi-schedules.json")
SPEC_FILES = {"pagerduty": PAGERDUTY_FILE, "opsgenie": OPSGENIE_FILE, "jsm": JSM_FILE}
LIBRARIES = ("jsonschema", "openapi_schema_validator")

# Hosts whose requests are none of our business here (other engineers' Slack tests).
IGNORED_HOSTS = re.compile(r"(^|\.)slack\.com$")

# The endpoints the bot may use at all (issue: PD /schedules* and /users* without contact
# data; Opsgenie schedule, rotation and override endpoints), by spec path template.
PAGERDUTY_ALLOWED = re.compile(r"/(schedules|users)(/.*)?")
PAGERDUTY_FORBIDDEN = re.compile(r"contact_methods|notification_rules|notification_subscriptions|sessions")
OPSGENIE_ALLOWED = frozenset(
    {
        "/v2/schedules",
        "/v2/schedules/{identifier}",
        "/v2/schedules/{identifier}/timeline",
        "/v2/schedules/{identifier}/rotations",
        "/v2/schedules/{identifier}/rotations/{id}",
        "/v2/schedules/{identifier}/overrides",
        "/v2/schedules/{identifier}/overrides/{alias}",
    }
)
# JSM: the schedule, override and timeline endpoints (no schedule or rotation is ever changed).
JSM_ALLOWED = frozenset(
    {
        "/api/{cloudId}/v1/schedules",
        "/api/{cloudId}/v1/schedules/{id}",
        "/api/{cloudId}/v1/schedules/{scheduleId}/rotations",
        "/api/{cloudId}/v1/schedules/{scheduleId}/timeline",
        "/api/{cloudId}/v1/schedules/{scheduleId}/overrides",
        "/api/{cloudId}/v1/schedules/{scheduleId}/overrides/{alias}",
    }
)
JSM_READ_ONLY = frozenset({"/api/{cloudId}/v1/schedules", "/api/{cloudId}/v1/schedules/{id}",
                           "/api/{cloudId}/v1/schedules/{scheduleId}/rotations"})
AUTH_PREFIX = {"pagerduty": "Token token=", "opsgenie": "GenieKey ", "jsm": "Basic "}
# The public base URL a simulator stands in for (the validator tells the providers apart by host).
PUBLIC_BASE = {"pagerduty": "https://api.pagerduty.com", "opsgenie": "https://api.opsgenie.com",
               "jsm": "https://api.atlassian.com"}
# The site endpoints (https://<site>.atlassian.net): where a request is one by its path.
JSM_SITE_PATHS = re.compile(r".*/(_edge/tenant_info|rest/api/\d+/.*)$")


def specs_dir() -> Path:
    configured = os.environ.get(SPECS_ENV, "").strip()
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def missing_reason() -> str | None:
    """Why conformance cannot run (None when it can)."""
    root = specs_dir()
    missing = [str(root / f) for f in SPEC_FILES.values() if not (root / f).is_file()]
    if not missing:
        return None
    return (
        f"provider API descriptions not found ({', '.join(missing)}): set {SPECS_ENV} to a directory "
        f"holding {PAGERDUTY_FILE}, {OPSGENIE_FILE} and {JSM_FILE}, or put them under ../shared/specs next "
        "to the repository (never inside it)"
    )


def unchecked_reason() -> str | None:
    """Why the sandbox cannot check provider requests: specs or validator libraries absent."""
    absent = [name for name in LIBRARIES if importlib.util.find_spec(name) is None]
    if absent:
        return f"{', '.join(absent)} not installed (pip install -e '.[test]', as `make run` does)"
    return missing_reason()


def simulator_check(public_base: str) -> Callable[[SimRequest], list[str]] | None:
    """A simulator's `check`: the problems of a request it received, validated as if sent to
    `public_base` (e.g. PUBLIC_BASE["pagerduty"]); None when requests cannot be checked."""
    if unchecked_reason():
        return None

    def check(request: SimRequest) -> list[str]:
        query = urlencode([(k, v) for k, vs in request.query.items() for v in vs])
        url = public_base.rstrip("/") + request.path + (f"?{query}" if query else "")
        return request_problems(httpx.Request(request.method, url, headers=dict(request.headers),
                                              content=request.body))

    return check


# ---------------------------------------------------------------- spec loading


@dataclass(frozen=True)
class Operation:
    provider: str
    method: str
    template: str
    op: dict
    params: tuple[dict, ...]  # resolved, path-level merged with operation-level


class Spec:
    """One API description with its operations indexed by path template."""

    def __init__(self, provider: str, doc: dict):
        self.provider = provider
        self.doc = doc
        self.swagger = "swagger" in doc
        self._templates: list[tuple[re.Pattern[str], str]] = sorted(
            ((_template_regex(t), t) for t in doc["paths"]),
            key=lambda item: (item[1].count("{"), -len(item[1])),  # literal paths win over {params}
        )

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = _pointer(self.doc, node["$ref"])
            seen += 1
            if seen > 20:
                raise ValueError("circular $ref")
        return node

    def match(self, path: str) -> str | None:
        for regex, template in self._templates:
            if regex.fullmatch(path):
                return template
        return None

    def operation(self, method: str, template: str) -> Operation | None:
        item = self.doc["paths"][template]
        op = item.get(method.lower())
        if not isinstance(op, dict):
            return None
        merged: dict[tuple[str, str], dict] = {}
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            param = self.resolve(raw)
            merged[(param["name"], param["in"])] = param
        return Operation(self.provider, method.upper(), template, op, tuple(merged.values()))

    @functools.cache  # noqa: B019 - specs live as long as the process
    def validator(self, kind: str, method: str, template: str, status: str = "") -> Any:
        """A JSON-schema validator for a request body (kind="request") or a response body."""
        op = self.doc["paths"][template][method.lower()]
        schema = self._request_schema(op) if kind == "request" else self._response_schema(op, status)
        if schema is None:
            return None
        import jsonschema
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        if self.swagger:
            root = {"allOf": [schema], "definitions": self.doc["definitions"]}
            return jsonschema.Draft4Validator(root, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        root = {"allOf": [schema], "components": self.doc["components"]}
        return OAS30Validator(root, format_checker=oas30_format_checker)

    def _request_schema(self, op: dict) -> dict | None:
        if self.swagger:
            body = [self.resolve(p) for p in op.get("parameters", []) if self.resolve(p).get("in") == "body"]
            return body[0]["schema"] if body else None
        body = self.resolve(op.get("requestBody"))
        if not body:
            return None
        return (body.get("content", {}).get("application/json") or {}).get("schema")

    def _response_schema(self, op: dict, status: str) -> dict | None:
        responses = op.get("responses", {})
        response = responses.get(status)
        if response is None and status.startswith("2"):  # e.g. PD documents a GET's 200 as "201"
            response = next((v for k, v in responses.items() if k.startswith("2")), None)
        response = self.resolve(response)
        if not response:
            return None
        if self.swagger:
            return response.get("schema")
        return (response.get("content", {}).get("application/json") or {}).get("schema")

    def body_required(self, op: dict) -> bool:
        if self.swagger:
            return any(
                self.resolve(p).get("in") == "body" and self.resolve(p).get("required")
                for p in op.get("parameters", [])
            )
        return bool((self.resolve(op.get("requestBody")) or {}).get("required"))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _pointer(doc: dict, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref}")
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@functools.cache
def load(provider: str) -> Spec:
    reason = missing_reason()
    if reason:
        raise FileNotFoundError(reason)
    doc = json.loads((specs_dir() / SPEC_FILES[provider]).read_text(encoding="utf-8"))
    return Spec(provider, _patch_jsm(doc) if provider == "jsm" else doc)


def _patch_jsm(doc: dict) -> dict:
    """The two defects of Atlassian's own file (see its SOURCE), mended in memory, never in the file:
    no operation declares the `{cloudId}` path parameter (added at path level), and the timeline's
    `date` parameter has the default "time of request", which is not a date-time (dropped)."""
    cloud_id = {"name": "cloudId", "in": "path", "required": True, "schema": {"type": "string"}}
    for template, item in doc["paths"].items():
        if "{cloudId}" in template and not any(p.get("name") == "cloudId" for p in item.get("parameters", [])):
            item["parameters"] = [*item.get("parameters", []), cloud_id]
        for op in item.values():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []):
                schema = param.get("schema") or {}
                if schema.get("format") == "date-time" and schema.get("default") == "time of request":
                    del schema["default"]
    return doc


# ---------------------------------------------------------------- request checks


def provider_of(request: httpx.Request) -> str | None:
    """Which provider a request is for, from its host or else its path; None for other hosts."""
    host = request.url.host or ""
    if IGNORED_HOSTS.search(host):
        return None
    if host.endswith(".atlassian.net") or JSM_SITE_PATHS.fullmatch(request.url.path):
        return "jsm-site"
    if "atlassian" in host or "/jsm/ops/api/" in request.url.path:
        return "jsm"
    if "opsgenie" in host:
        return "opsgenie"
    if "pagerduty" in host:
        return "pagerduty"
    return "opsgenie" if "/v2/" in request.url.path else "pagerduty"


def _locate(spec: Spec, path: str) -> tuple[str, str] | None:
    """Match the path, allowing a proxy prefix in the base URL (…/proxy/schedules)."""
    segments = path.split("/")
    for i in range(1, len(segments)):
        candidate = "/" + "/".join(segments[i:])
        template = spec.match(candidate)
        if template:
            return template, candidate
    return None


def request_problems(request: httpx.Request) -> list[str]:
    """Everything wrong with one request; [] when it conforms (or is not for a provider)."""
    provider = provider_of(request)
    if provider is None:
        return []
    if provider == "jsm-site":
        return site_problems(request)
    spec = load(provider)
    where = f"{request.method} {request.url}"
    located = _locate(spec, request.url.path)
    if located is None:
        return [f"{where}: no {provider} path template matches {request.url.path}"]
    template, _ = located
    problems = [f"{where}: {p}" for p in allowed_problems(provider, template)]
    if provider == "jsm" and template in JSM_READ_ONLY and request.method != "GET":
        problems.append(f"{where}: the bot never changes a JSM schedule or rotation ({request.method} {template})")
    operation = spec.operation(request.method, template)
    if operation is None:
        return [*problems, f"{where}: {template} has no {request.method} operation in the {provider} spec"]
    problems += [f"{where} ({template}): {p}" for p in _operation_problems(spec, operation, request)]
    return problems


def allowed_problems(provider: str, template: str) -> list[str]:
    if provider == "pagerduty":
        if not PAGERDUTY_ALLOWED.fullmatch(template) or PAGERDUTY_FORBIDDEN.search(template):
            return [f"PagerDuty endpoint {template} is outside /schedules* and /users* (no contact data)"]
        return []
    if provider == "jsm":
        if template not in JSM_ALLOWED:
            return [f"JSM endpoint {template} is not a schedule, rotation list, timeline or override endpoint"]
        return []
    if template not in OPSGENIE_ALLOWED:
        return [f"Opsgenie endpoint {template} is not a schedule, rotation or override endpoint"]
    return []


# Jira Cloud REST v3, "Bulk get users" (GET /rest/api/3/user/bulk): accountId (repeated, required),
# startAt, maxResults; Basic auth with email and API token.
# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/#api-rest-api-3-user-bulk-get
# The site's cloudId: GET https://<site>.atlassian.net/_edge/tenant_info, no auth, no parameters.
# https://support.atlassian.com/jira/kb/retrieve-my-atlassian-sites-cloud-id
_SITE_QUERY = {"/rest/api/3/user/bulk": {"accountId", "startAt", "maxResults"}, "/_edge/tenant_info": set()}


def site_problems(request: httpx.Request) -> list[str]:
    """A request to a JSM site (`<site>.atlassian.net`): only the two documented GETs the bot uses."""
    where = f"{request.method} {request.url}"
    path = request.url.path
    endpoint = next((e for e in _SITE_QUERY if path.endswith(e)), None)
    if endpoint is None:
        return [f"{where}: the bot may call only {', '.join(_SITE_QUERY)} on a JSM site"]
    problems = []
    if request.method != "GET":
        problems.append(f"{where}: {endpoint} is read with GET only")
    if request.content:
        problems.append(f"{where}: a GET carries no body")
    query = request.url.params
    for name in dict.fromkeys(query.keys()):
        if name not in _SITE_QUERY[endpoint]:
            problems.append(f"{where}: query parameter {name!r} is not documented for {endpoint}")
    if endpoint == "/rest/api/3/user/bulk":
        if not query.get_list("accountId"):
            problems.append(f"{where}: accountId is required")
        for name in ("startAt", "maxResults"):
            values = query.get_list(name)
            if len(values) > 1 or (values and not (values[0].isdigit() and int(values[0]) >= (name == "maxResults"))):
                problems.append(f"{where}: {name} must be one non-negative integer (maxResults at least 1)")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Basic ") or len(auth) <= len("Basic "):
            problems.append(f"{where}: the Authorization header must be 'Basic <email:token>'")
    return problems


def _operation_problems(spec: Spec, operation: Operation, request: httpx.Request) -> list[str]:
    problems: list[str] = []
    auth = request.headers.get("authorization", "")
    prefix = AUTH_PREFIX[spec.provider]
    if not auth.startswith(prefix) or len(auth) <= len(prefix):
        problems.append(f"the Authorization header must be '{prefix}<key>'")

    query = request.url.params
    declared_query = {p["name"]: p for p in operation.params if p["in"] == "query"}
    for name in dict.fromkeys(query.keys()):
        if name not in declared_query:
            problems.append(f"query parameter {name!r} is not declared")
    for param in operation.params:
        name, where = param["name"], param["in"]
        if where == "header":
            value = request.headers.get(name)
            if value is None:
                if param.get("required"):
                    problems.append(f"required header {name} is missing")
                continue
            problems += _value_problems(spec, param, [value])
        elif where == "query":
            values = query.get_list(name)
            if not values:
                if param.get("required"):
                    problems.append(f"required query parameter {name} is missing")
                continue
            problems += _value_problems(spec, param, values)

    content = request.content
    body_schema = spec.validator("request", operation.method, operation.template)
    if not content:
        if body_schema is not None and spec.body_required(operation.op):
            problems.append("the request body is required but empty")
        return problems
    if body_schema is None:
        return [*problems, "a body was sent but the operation takes none"]
    if "json" not in request.headers.get("content-type", ""):
        problems.append("the body is not declared as JSON (Content-Type)")
    try:
        body = json.loads(content)
    except ValueError:
        return [*problems, "the body is not valid JSON"]
    problems += [f"body {_at(e)}: {e.message}" for e in body_schema.iter_errors(body)]
    return problems


def _value_problems(spec: Spec, param: dict, values: list[str]) -> list[str]:
    """Check raw string values of a header/query parameter against its declared type."""
    import jsonschema

    schema = spec.resolve(param.get("schema")) if not spec.swagger else param
    schema = schema or {}
    name = param["name"]
    if schema.get("type") == "array":
        item_schema = spec.resolve(schema.get("items") or {})
        if spec.swagger and param.get("collectionFormat", "csv") == "csv":
            values = [v for value in values for v in value.split(",")]
    else:
        item_schema = schema
        if len(values) > 1 and not param.get("explode"):
            return [f"parameter {name} given {len(values)} times"]
    problems = []
    secret = name.lower() == "authorization"  # a problem never shows the key
    for raw in values:
        shown = "<redacted>" if secret else repr(raw)
        value, error = _coerce(raw, item_schema.get("type"))
        if error:
            problems.append(f"parameter {name}={shown}: {error}")
            continue
        check = {
            k: item_schema[k]
            for k in ("type", "enum", "format", "minimum", "maximum", "pattern")
            if k in item_schema
        }
        if secret:
            check.pop("pattern", None)  # real keys hold characters the documented pattern forgets
        for e in jsonschema.Draft4Validator(
            check, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
        ).iter_errors(value):
            what = f"does not fit its {e.validator}" if secret else e.message
            problems.append(f"parameter {name}={shown}: {what}")
    return problems


def _coerce(raw: str, kind: str | None) -> tuple[Any, str | None]:
    if kind == "integer":
        try:
            return int(raw), None
        except ValueError:
            return None, "not an integer"
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return None, "not a number"
    if kind == "boolean":
        if raw not in ("true", "false"):
            return None, "not true/false"
        return raw == "true", None
    return raw, None


def _at(error: jsonschema.ValidationError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_path)


# ---------------------------------------------------------------- response fixtures


def response_problems(provider: str, method: str, template: str, status: int, body: Any) -> list[str]:
    """Check a response fixture against the documented response schema for that status."""
    validator = load(provider).validator("response", method.upper(), template, str(status))
    if validator is None:
        return [f"{provider} documents no JSON body for {method} {template} {status}"]
    return [f"{_at(e)}: {e.message}" for e in validator.iter_errors(body)]
