"""OpenAPI contract of the emulator: routing and validation against Cloudflare's schema.

The schema is the corrected copy of Cloudflare's official OpenAPI subset
(``schema/aop_openapi_subset_patched.json``; the defects it fixes are listed in
``schema/README.md``). Every request the emulator receives and every response it
sends is checked here (the DNS records endpoints against Cloudflare's DNS subset, see
dns.py); a mismatch is recorded as a *violation*, which the test
fixtures turn into a test failure.
"""

from __future__ import annotations

import json
import os
import re

from openapi_schema_validator import OAS30Validator

from .dns import load_spec as load_dns_spec

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema")
PATCHED = os.path.join(SCHEMA_DIR, "aop_openapi_subset_patched.json")
OFFICIAL = os.path.join(SCHEMA_DIR, "aop_openapi_subset.json")

# The explicit single-setting paths of the subset. Any other setting id is served by the
# generic path that later official schemas use (/settings/{setting_id}); its request and
# response are validated against the per-setting component ``zones_<id>`` (see README).
GENERIC_SETTING = "/zones/{zone_id}/settings/{setting_id}"


class Operation:
    def __init__(self, method, template, op, components):
        self.method = method
        self.template = template
        self.op = op
        self.operation_id = op.get("operationId", "%s %s" % (method, template))
        self.security = op.get("security")
        self._components = components
        self._regex = re.compile("^" + re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
        self.literal_segments = sum(1 for s in template.split("/") if s and not s.startswith("{"))

    def match(self, path):
        m = self._regex.match(path)
        return m.groupdict() if m else None

    def validator(self, schema):
        return OAS30Validator({"allOf": [schema], "components": self._components})

    def parameters(self):
        return list(self.op.get("parameters", []))

    def request_schema(self):
        body = self.op.get("requestBody")
        if not body:
            return None, False
        content = body.get("content", {}).get("application/json", {})
        return content.get("schema"), bool(body.get("required"))

    def response_schema(self, status):
        responses = self.op.get("responses", {})
        key = str(status)
        if key not in responses:
            key = "%dXX" % (status // 100)
        if key not in responses:
            key = "default"
        resp = responses.get(key)
        if not resp:
            return None
        return resp.get("content", {}).get("application/json", {}).get("schema")


class Contract:
    def __init__(self, path=PATCHED, dns=True):
        with open(path) as fh:
            self.spec = json.load(fh)
        self.components = self.spec["components"]
        self.operations = []
        self._add_paths(self.spec["paths"])
        if dns:
            # The DNS records subset (dns.py): official text, patched in memory when the AOP
            # schema is the patched copy. No schema name is shared between the two subsets.
            dns_spec, _applied = load_dns_spec(patched=path != OFFICIAL)
            clash = set(dns_spec["components"]["schemas"]) & set(self.components["schemas"])
            if clash:
                raise ValueError("schema names defined twice: %s" % ", ".join(sorted(clash)))
            self.components["schemas"].update(dns_spec["components"]["schemas"])
            self.spec["paths"].update(dns_spec["paths"])
            self._add_paths(dns_spec["paths"])

    def _add_paths(self, paths):
        for template, ops in paths.items():
            for method, op in ops.items():
                if method in ("get", "put", "post", "patch", "delete"):
                    self.operations.append(Operation(method.upper(), template, op, self.components))
        self._generic_cache = {}

    def route(self, method, path):
        """Find the operation for a request. Literal segments win over parameters (schema defect 6)."""
        best = None
        for op in self.operations:
            if op.method != method:
                continue
            params = op.match(path)
            if params is None:
                continue
            if best is None or op.literal_segments > best[0].literal_segments:
                best = (op, params)
        if best is None:
            m = re.match(r"^/zones/(?P<zone_id>[^/]+)/settings/(?P<setting_id>[a-z0-9_]+)$", path)
            if m and method in ("GET", "PATCH") and ("zones_" + m.group("setting_id")) in self.components["schemas"]:
                return self._generic(method, m.group("setting_id")), m.groupdict()
        return best if best else (None, None)

    def _generic(self, method, setting_id):
        key = (method, setting_id)
        if key not in self._generic_cache:
            ref = {"$ref": "#/components/schemas/zones_%s" % setting_id}
            op = {
                "operationId": "zone-settings-%s-single-setting (%s)" % ("get" if method == "GET" else "edit", setting_id),
                "parameters": [{"in": "path", "name": "zone_id", "required": True, "schema": {"$ref": "#/components/schemas/zones_identifier"}}],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {"allOf": [{"$ref": "#/components/schemas/zones_zone_settings_response_single"}, {"properties": {"result": ref}}]}
                            }
                        }
                    },
                    "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/zones_api-response-common-failure"}}}},
                },
                "security": [{"api_token": []}, {"api_email": [], "api_key": []}],
            }
            if method == "PATCH":
                value_ref = "zones_%s_value" % setting_id
                value = {"$ref": "#/components/schemas/" + value_ref} if value_ref in self.components["schemas"] else {}
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"properties": {"value": value}, "required": ["value"]}}}}
            self._generic_cache[key] = Operation(method, GENERIC_SETTING.replace("{setting_id}", setting_id), op, self.components)
        return self._generic_cache[key]

    # ---------------------------------------------------------------- checks
    @staticmethod
    def _coerce(value, schema):
        kind = schema.get("type")
        try:
            if kind == "number":
                return float(value)
            if kind == "integer":
                return int(value)
            if kind == "boolean":
                return {"true": True, "false": False}[value]
        except (ValueError, KeyError):
            return value
        return value

    def check_request(self, op, path_params, query, headers, body_bytes):
        """Return a list of violation strings for one request (empty when it conforms)."""
        problems = []
        for param in op.parameters():
            schema = param.get("schema", {})
            if "$ref" in schema:
                schema = self._resolve(schema)
            name, where = param["name"], param["in"]
            if where == "path":
                value = path_params.get(name)
            elif where == "query":
                if name not in query:
                    if param.get("required"):
                        problems.append("missing required query parameter %r" % name)
                    continue
                value = self._coerce(query[name], schema)
            else:
                continue
            for err in op.validator(schema).iter_errors(value):
                problems.append("%s parameter %r: %s" % (where, name, err.message))
        known = {p["name"] for p in op.parameters() if p["in"] == "query"}
        for name in query:
            if name not in known:
                problems.append("unknown query parameter %r" % name)
        schema, required = op.request_schema()
        if body_bytes:
            if "application/json" not in (headers.get("Content-Type") or ""):
                problems.append("request body sent without Content-Type: application/json")
            try:
                body = json.loads(body_bytes)
            except ValueError:
                problems.append("request body is not JSON")
                body = None
            if schema is None and body is not None:
                problems.append("%s takes no request body" % op.operation_id)
            elif body is not None and schema:
                for err in op.validator(schema).iter_errors(body):
                    problems.append("request body: %s at %s" % (err.message, "/".join(str(p) for p in err.absolute_path) or "(root)"))
        elif required:
            problems.append("%s requires a JSON request body" % op.operation_id)
        problems.extend(self._check_security(op, headers))
        return problems

    @staticmethod
    def _check_security(op, headers):
        security = op.security or []
        has = set()
        auth = headers.get("Authorization") or ""
        if auth.startswith("Bearer ") and auth[7:].strip():
            has.add("api_token")
        if headers.get("X-Auth-Email"):
            has.add("api_email")
        if headers.get("X-Auth-Key"):
            has.add("api_key")
        for requirement in security:
            if set(requirement) <= has:
                return []
        return ["no security scheme of %s is satisfied (sent: %s)" % (op.operation_id, ", ".join(sorted(has)) or "none")]

    def check_response(self, op, status, body):
        schema = op.response_schema(status)
        if schema is None:
            return ["%s documents no response for HTTP %s" % (op.operation_id, status)]
        return [
            "response %s: %s at %s" % (status, e.message, "/".join(str(p) for p in e.absolute_path) or "(root)") for e in op.validator(schema).iter_errors(body)
        ]

    def check_failure_envelope(self, body):
        """Faults outside the documented statuses (5xx) must still be a v4 failure envelope."""
        schema = {"$ref": "#/components/schemas/zones_api-response-common-failure"}
        validator = OAS30Validator({"allOf": [schema], "components": self.components})
        return ["failure envelope: %s" % e.message for e in validator.iter_errors(body)]

    def _resolve(self, schema):
        ref = schema["$ref"]
        node = self.spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node
