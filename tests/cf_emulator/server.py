"""A Cloudflare v4 API emulator for the AOP endpoints, held to Cloudflare's OpenAPI schema.

Serves zones, zone settings, zone-level and per-hostname AOP certificates and
hostname bindings from memory, with the v4 envelope, real status and error codes
(``reference/cloudflare-api.md``), fault injection and a request log.

Used in-process by pytest (``Emulator().start()``) and as a process by the
Molecule scenarios and the demo (``python -m cf_emulator``). Control endpoints
live under ``/__emulator__/`` and are not part of the Cloudflare contract
(DNS records: ``POST /__emulator__/zones/<zone id or name>/dns_records`` with one record or a
list, fields as ``dns.add_record``; ``DELETE`` removes them all; in-process: ``State.add_dns_record``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import dns
from .spec import Contract

ADMIN = "/__emulator__"
ALL_PERMISSIONS = ("zone:read", "zone_settings:read", "zone_settings:edit", "ssl:read", "ssl:edit", "dns_records:read")
DEFAULT_SETTINGS = {
    "ssl": "full",
    "tls_client_auth": "off",
    "min_tls_version": "1.2",
    "always_use_https": "off",
    "tls_1_3": "on",
}
MAX_HOSTNAME_CERTS = 10
MAX_ASSOCIATIONS_PER_CERT = 100


def _now():
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _zone_id(name):
    return hashlib.md5(name.encode()).hexdigest()  # 32 hex chars, stable per name


def _cert_facts(pem):
    """Fields Cloudflare derives from an uploaded certificate (None when it does not parse)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes  # noqa: F401  (import check)

        cert = x509.load_pem_x509_certificate(pem.encode())
    except Exception:  # pylint: disable=broad-except
        return None
    try:
        not_after = cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        not_after = cert.not_valid_after.replace(tzinfo=_dt.timezone.utc)
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    algo = cert.signature_hash_algorithm.name.upper() if cert.signature_hash_algorithm else "UNKNOWN"
    key_kind = "RSA" if "RSA" in type(cert.public_key()).__name__.upper() else "ECDSA"
    return {
        "expires_on": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issuer": cert.issuer.rfc4514_string(),
        "serial_number": format(cert.serial_number, "x"),
        "signature": ("%sWith%s" % (algo, key_kind)) if key_kind == "RSA" else "ECDSA-%s" % algo,
        "is_ca": is_ca,
        "public_key": cert.public_key(),
    }


def _key_matches(pem_key, public_key):
    try:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key(pem_key.encode(), password=None)
        fmt = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return key.public_key().public_bytes(*fmt) == public_key.public_bytes(*fmt)
    except Exception:  # pylint: disable=broad-except
        return False


class ApiError(Exception):
    def __init__(self, status, code, message, chain=None):
        super().__init__(message)
        self.status, self.code, self.message, self.chain = status, code, message, chain


class State:
    """Everything the emulator knows. All access goes through the server's lock."""

    def __init__(self, activation_delay=0.0):
        self.zones = {}
        self.tokens = {}
        self.keys = {}  # email -> global API key
        self.activation_delay = activation_delay

    def add_zone(self, name, zone_id=None, account_id="a" * 32, account_name="Test Account", settings=None):
        zid = zone_id or _zone_id(name)
        zone = {
            "id": zid,
            "name": name,
            "account": {"id": account_id, "name": account_name},
            "status": "active",
            "created_on": _now(),
            "settings": {},
            "zone_certs": {},
            "zone_aop_enabled": False,
            "hostname_certs": {},
            "hostnames": {},
        }
        for sid, value in dict(DEFAULT_SETTINGS, **(settings or {})).items():
            zone["settings"][sid] = {"id": sid, "value": value, "editable": True, "modified_on": None}
        self.zones[zid] = zone
        return zone

    def add_dns_record(self, zone, name, type, content, **fields):
        """Seed a DNS record in a zone given by id or name (see dns.add_record); returns the record."""
        found = self.zones.get(zone) or next((z for z in self.zones.values() if z["name"] == zone), None)
        if found is None:
            raise KeyError("no zone %r in the emulator" % zone)
        return dns.add_record(found, name, type, content, **fields)

    def add_token(self, token, permissions=ALL_PERMISSIONS, zones=None):
        self.tokens[token] = {"permissions": set(permissions), "zones": set(zones) if zones else None}

    def snapshot(self):
        out = {}
        for zid, z in self.zones.items():
            out[zid] = {
                "name": z["name"],
                "account": z["account"],
                "settings": {k: {"value": v["value"], "editable": v["editable"]} for k, v in z["settings"].items()},
                "zone_aop_enabled": z["zone_aop_enabled"],
                "zone_certs": {k: self.public_cert(c) for k, c in z["zone_certs"].items()},
                "hostname_certs": {k: self.public_cert(c) for k, c in z["hostname_certs"].items()},
                "hostnames": dict(z["hostnames"]),
                "dns_records": [dict(r) for r in dns.records_of(z).values()],
            }
        return out

    def public_cert(self, cert):
        self._advance(cert)
        return {k: v for k, v in cert.items() if not k.startswith("_") and k != "private_key"}

    def _advance(self, cert):
        """pending_deployment -> active once the activation delay has passed."""
        if cert["status"] == "pending_deployment" and time.monotonic() - cert["_created"] >= self.activation_delay:
            cert["status"] = "active"
            cert["updated_at"] = _now()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients that give up (read timeouts in fault tests) are expected; stay quiet."""


class Emulator:
    """The emulator as an object: ``start()`` serves on 127.0.0.1 on an ephemeral port."""

    def __init__(self, host="127.0.0.1", port=0, contract=None, certfile=None, keyfile=None, activation_delay=0.0):
        self.contract = contract or Contract()
        self.state = State(activation_delay=activation_delay)
        self.lock = threading.RLock()
        self.log = []
        self.violations = []
        self.faults = []
        self._host, self._port = host, port
        self._certfile, self._keyfile = certfile, keyfile
        self.httpd = None
        self.thread = None

    # ------------------------------------------------------------- lifecycle
    @property
    def url(self):
        scheme = "https" if self._certfile else "http"
        host, port = self.httpd.server_address[:2]
        return "%s://%s:%d/client/v4" % (scheme, host, port)

    def start(self):
        handler = type("Handler", (_Handler,), {"emulator": self})
        self.httpd = _QuietServer((self._host, self._port), handler)
        if self._certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self._certfile, self._keyfile)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="cf-emulator", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    # --------------------------------------------------------------- control
    def add_fault(self, kind="status", method=None, path=None, times=None, **params):
        """Inject a fault for requests matching ``method`` and the regex ``path``.

        kinds: ``status`` (status, code, message, retry_after), ``delay`` (seconds,
        then a normal answer), ``drop`` (close the connection without answering).
        ``times``: how many requests it applies to (None: until cleared).
        ``after_change=True``: the request is carried out first (a certificate stored, a
        setting written) and only its answer is the fault - Cloudflare did the work but the
        client never hears of it.
        """
        with self.lock:
            self.faults.append({"kind": kind, "method": method, "path": path, "times": times, "params": params})

    def clear(self):
        with self.lock:
            self.log.clear()
            self.faults.clear()
            self.violations.clear()

    def calls(self, method=None, path=None):
        with self.lock:
            return [e for e in self.log if (method is None or e["method"] == method) and (path is None or re.search(path, e["path"]))]

    def writes(self):
        return [e for e in self.calls() if e["method"] != "GET"]

    # ------------------------------------------------------------ dispatching
    def _take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                if fault["times"] is not None and fault["times"] <= 0:
                    continue
                if fault["method"] and fault["method"] != method:
                    continue
                if fault["path"] and not re.search(fault["path"], path):
                    continue
                if fault["times"] is not None:
                    fault["times"] -= 1
                return fault
        return None

    def _authenticate(self, headers, zone_id, permission):
        auth = headers.get("Authorization")
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if auth:
            if not auth.startswith("Bearer ") or not auth[7:].strip() or " " in auth[7:].strip():
                raise ApiError(400, 6003, "Invalid request headers", [{"code": 6111, "message": "Invalid format for Authorization header"}])
            token = self.state.tokens.get(auth[7:].strip())
            if token is None:
                raise ApiError(403, 9109, "Invalid access token")
            if permission and permission not in token["permissions"]:
                raise ApiError(403, 10000, "Authentication error")
            if zone_id and token["zones"] is not None and zone_id not in token["zones"]:
                raise ApiError(403, 10000, "Authentication error")
            return "api_token"
        if email or key:
            if not email or not key:
                raise ApiError(
                    400,
                    6003,
                    "Invalid request headers",
                    [{"code": 6102 if not email else 6103, "message": "Invalid format for X-Auth-%s header" % ("Email" if not email else "Key")}],
                )
            if self.state.keys.get(email) != key:
                raise ApiError(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
            return "api_key"
        raise ApiError(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")


class _Handler(BaseHTTPRequestHandler):
    emulator = None  # set per server
    protocol_version = "HTTP/1.1"
    server_version = "cf-emulator/1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # ------------------------------------------------------------------ core
    def _send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        emu = self.emulator
        parts = urlsplit(self.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith(ADMIN):
            return self._admin(method, path[len(ADMIN) :], raw)
        prefix = "/client/v4"
        api_path = path[len(prefix) :] if path.startswith(prefix) else None
        entry = {
            "time": time.time(),
            "method": method,
            "path": api_path if api_path is not None else path,
            "query": query,
            "status": None,
            "operation": None,
            "auth": None,
            "fault": None,
            "user_agent": self.headers.get("User-Agent"),
        }
        try:
            body_obj = json.loads(raw) if raw else None
        except ValueError:
            body_obj = None
        if isinstance(body_obj, dict) and "private_key" in body_obj:
            body_obj = dict(body_obj, private_key="<redacted>")
        entry["body"] = body_obj
        with emu.lock:
            emu.log.append(entry)

        fault = emu._take_fault(method, entry["path"])
        late = fault if fault and fault["params"].get("after_change") else None
        if fault and not late and self._fault(fault, entry, api_path):
            return None

        if api_path is None:
            return self._fail(entry, None, ApiError(404, 7000, "No route for that URI"))
        op, params = emu.contract.route(method, api_path)
        if op is None:
            return self._fail(entry, None, ApiError(400, 7000, "No route for that URI"))
        entry["operation"] = op.operation_id
        problems = emu.contract.check_request(op, params, query, self.headers, raw)
        self._note(problems, "request", entry)
        try:
            perm = (op.op.get("x-cfPermissionsRequired") or {}).get("enum", ["#zone:read"])[0].lstrip("#")
            zone_id = params.get("zone_id")
            with emu.lock:
                entry["auth"] = emu._authenticate(self.headers, zone_id, perm)
                if problems:
                    raise ApiError(
                        400, 6003 if any("security" in x for x in problems) else 1004, "Request does not match the API schema: " + "; ".join(problems[:3])
                    )
                result, extra = _Routes(emu.state).call(op, params, query, json.loads(raw) if raw else None)
        except ApiError as err:
            return self._fail(entry, op, err)
        if late:
            # The change is made (a certificate stored, a setting written), then the answer goes wrong.
            entry["fault"] = late["kind"] + " after the change"
            if self._fault(late, entry, api_path):
                return None
        body = {"success": True, "errors": [], "messages": [], "result": result}
        body.update(extra)
        entry["status"] = 200
        self._note(emu.contract.check_response(op, 200, body), "response", entry)
        return self._send(200, body)

    def _fault(self, fault, entry, api_path):
        """Answer with an injected fault; False when the normal answer still follows (a delay)."""
        emu = self.emulator
        entry["fault"] = entry["fault"] or fault["kind"]
        p = fault["params"]
        if fault["kind"] == "drop":
            entry["status"] = "dropped"
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fault["kind"] == "delay":
            time.sleep(float(p.get("seconds", 5)))
            return False
        status = int(p.get("status", 500))
        code = int(p.get("code", {429: 10013, 500: 1005, 502: 1005, 503: 1005}.get(status, 1005)))
        message = p.get("message") or {429: "Rate limited. Please wait and consider throttling your request speed", 500: "Internal Server Error"}.get(
            status, "Service unavailable"
        )
        body = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
        headers = {"Retry-After": str(p["retry_after"])} if "retry_after" in p else {}
        entry["status"] = status
        op, _params = emu.contract.route(entry["method"], api_path or "")
        problems = emu.contract.check_response(op, status, body) if (op and status < 500) else emu.contract.check_failure_envelope(body)
        self._note(problems, "response", entry)
        self._send(status, body, headers)
        return True

    def _fail(self, entry, op, err):
        item = {"code": err.code, "message": err.message}
        body = {"success": False, "errors": [item], "messages": [], "result": None}
        if err.chain:
            item["error_chain"] = err.chain
        entry["status"] = err.status
        if op is not None:
            self._note(self.emulator.contract.check_response(op, err.status, body), "response", entry)
        return self._send(err.status, body)

    def _note(self, problems, what, entry):
        if problems:
            with self.emulator.lock:
                for p in problems:
                    self.emulator.violations.append("%s %s (%s): %s: %s" % (entry["method"], entry["path"], entry.get("operation"), what, p))

    # ----------------------------------------------------------------- admin
    def _admin(self, method, path, raw):
        emu = self.emulator
        data = json.loads(raw) if raw else {}
        with emu.lock:
            if path == "/log" and method == "GET":
                return self._send(200, emu.log)
            if path == "/log" and method == "DELETE":
                emu.log.clear()
                return self._send(200, [])
            if path == "/violations" and method == "GET":
                return self._send(200, emu.violations)
            if path == "/faults" and method == "POST":
                for item in data if isinstance(data, list) else [data]:
                    params = dict(item)
                    kind, fmethod, fpath = params.pop("kind", "status"), params.pop("method", None), params.pop("path", None)
                    emu.add_fault(kind, method=fmethod, path=fpath, times=params.pop("times", None), **params)
                return self._send(200, {"faults": len(emu.faults)})
            if path == "/faults" and method == "DELETE":
                emu.faults.clear()
                return self._send(200, {"faults": 0})
            if path == "/state" and method == "GET":
                return self._send(200, emu.state.snapshot())
            if path == "/zones" and method == "POST":
                zone = emu.state.add_zone(data["name"], data.get("id"), settings=data.get("settings"))
                return self._send(200, {"id": zone["id"], "name": zone["name"]})
            m = re.match(r"^/zones/([^/]+)/dns_records$", path)
            if m and method in ("POST", "DELETE"):
                zone = emu.state.zones.get(m.group(1)) or next((z for z in emu.state.zones.values() if z["name"] == m.group(1)), None)
                if zone is None:
                    return self._send(404, {"error": "no zone %s" % m.group(1)})
                if method == "DELETE":
                    dns.remove_records(zone)
                    return self._send(200, [])
                try:
                    made = [dns.add_record(zone, **item) for item in (data if isinstance(data, list) else [data])]
                except (TypeError, ValueError) as exc:
                    return self._send(400, {"error": str(exc)})
                return self._send(200, made)
            if path == "/tokens" and method == "POST":
                emu.state.add_token(data["token"], data.get("permissions", ALL_PERMISSIONS), data.get("zones"))
                return self._send(200, {"ok": True})
            m = re.match(r"^/zones/([^/]+)/settings/([a-z0-9_]+)$", path)
            if m and method == "PATCH":
                setting = emu.state.zones[m.group(1)]["settings"][m.group(2)]
                setting.update({k: v for k, v in data.items() if k in ("value", "editable")})
                return self._send(200, setting)
            m = re.match(r"^/edge/([^/]+)$", path)
            if m and method == "GET":
                return self._send(200, _edge_view(emu.state, m.group(1)))
            m = re.match(r"^/edge/([^/]+)/certificates/([^/]+)$", path)
            if m and method == "GET":
                zone = next((z for z in emu.state.zones.values() if z["name"] == m.group(1)), None)
                cert = zone and (zone["zone_certs"].get(m.group(2)) or zone["hostname_certs"].get(m.group(2)))
                if cert:
                    return self._send(200, {"certificate": cert["certificate"], "private_key": cert["_private_key"]})
        return self._send(404, {"error": "unknown control endpoint %s %s" % (method, path)})


def _zone_object(zone):
    """A zone as GET /zones returns it (every field the schema requires)."""
    return {
        "id": zone["id"],
        "name": zone["name"],
        "status": zone["status"],
        "development_mode": 0,
        "owner": {"id": zone["account"]["id"], "name": zone["account"]["name"], "type": "organization"},
        "account": zone["account"],
        "meta": {"cdn_only": False, "dns_only": False, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": False, "step": 2},
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": None,
        "original_registrar": None,
        "original_dnshost": None,
        "created_on": zone["created_on"],
        "modified_on": zone["created_on"],
        "activated_on": zone["created_on"],
    }


def _edge_view(state, zone_name):
    """What Cloudflare's edge presents to an origin for this zone: per-hostname > zone-level > global."""
    zone = next((z for z in state.zones.values() if z["name"] == zone_name), None)
    if zone is None:
        return {"zone": zone_name, "found": False}
    active = [c for c in zone["zone_certs"].values() if state.public_cert(c)["status"] == "active"]
    active.sort(key=lambda c: c["_created"])
    hostnames = {}
    for name, binding in zone["hostnames"].items():
        cert = zone["hostname_certs"].get(binding["cert_id"])
        if not binding.get("enabled"):
            hostnames[name] = None  # "will not be sent to the hostname even if activated at the zone level"
        elif cert and state.public_cert(cert)["status"] == "active":
            hostnames[name] = cert["id"]
    return {
        "zone": zone_name,
        "found": True,
        "tls_client_auth": zone["settings"]["tls_client_auth"]["value"],
        "ssl": zone["settings"]["ssl"]["value"],
        "zone_level": {"enabled": zone["zone_aop_enabled"], "certificate_id": active[-1]["id"] if active else None},
        "hostnames": hostnames,
    }


class _Routes:
    """The behaviour of each operation, on the emulator state (the lock is held)."""

    def __init__(self, state):
        self.state = state

    def call(self, op, params, query, body):
        zone = None
        if "zone_id" in params:
            zone = self.state.zones.get(params["zone_id"])
            if zone is None:
                raise ApiError(400, 7003, "Could not route to /zones/%s, perhaps your object identifier is invalid?" % params["zone_id"])
        key = (op.method, op.template)
        if op.template.startswith(dns.LIST):
            try:
                return dns.route(op, zone, params, query)
            except dns.DnsError as err:
                raise ApiError(err.status, err.code, err.message)
        if key == ("GET", "/zones"):
            return self.list_zones(query)
        if op.template.startswith("/zones/{zone_id}/settings/") and "origin_tls" not in op.template:
            sid = op.template.rsplit("/", 1)[1]
            return self.setting(zone, sid, op.method, body), {}
        if key == ("GET", "/zones/{zone_id}/settings"):
            return [dict(s) for s in zone["settings"].values()], {}
        if key == ("PATCH", "/zones/{zone_id}/settings"):
            return [self.setting(zone, item["id"], "PATCH", item) for item in body["items"]], {}
        base = "/zones/{zone_id}/origin_tls_client_auth"
        if key == ("GET", base + "/settings"):
            return {"enabled": zone["zone_aop_enabled"]}, {}
        if key == ("PUT", base + "/settings"):
            zone["zone_aop_enabled"] = bool(body["enabled"])
            return {"enabled": zone["zone_aop_enabled"]}, {}
        if key == ("GET", base):
            return self._list(zone["zone_certs"], query)
        if key == ("POST", base):
            return self.upload(zone, zone["zone_certs"], body, limit=None), {}
        if key in (("GET", base + "/{certificate_id}"), ("DELETE", base + "/{certificate_id}")):
            return self.cert(zone, zone["zone_certs"], params["certificate_id"], op.method), {}
        if key == ("GET", base + "/hostnames/certificates"):
            return self._list(zone["hostname_certs"], query)
        if key == ("POST", base + "/hostnames/certificates"):
            return self.upload(zone, zone["hostname_certs"], body, limit=MAX_HOSTNAME_CERTS), {}
        if key in (("GET", base + "/hostnames/certificates/{certificate_id}"), ("DELETE", base + "/hostnames/certificates/{certificate_id}")):
            return self.cert(zone, zone["hostname_certs"], params["certificate_id"], op.method), {}
        if key == ("PUT", base + "/hostnames"):
            return self.bind(zone, body["config"]), {}
        if key == ("GET", base + "/hostnames/{hostname}"):
            return self.hostname(zone, params["hostname"]), {}
        raise ApiError(400, 7000, "No route for that URI")

    def list_zones(self, query):
        zones = list(self.state.zones.values())
        name = query.get("name")
        if name:
            zones = [z for z in zones if z["name"] == name.lower()]
        if query.get("account.id"):
            zones = [z for z in zones if z["account"]["id"] == query["account.id"]]
        page, per_page = int(float(query.get("page", 1))), int(float(query.get("per_page", 20)))
        chunk = zones[(page - 1) * per_page : page * per_page]
        result = [_zone_object(z) for z in chunk]
        return result, {"result_info": {"page": page, "per_page": per_page, "count": len(result), "total_count": len(zones)}}

    def setting(self, zone, sid, method, body):
        setting = zone["settings"].get(sid)
        if setting is None:
            raise ApiError(400, 1006, "Unrecognized zone setting name: %s" % sid)
        if method == "PATCH":
            if not setting["editable"]:
                raise ApiError(400, 1057, "%s cannot be modified for this zone" % sid)
            if setting["value"] != body["value"]:
                setting["value"] = body["value"]
                setting["modified_on"] = _now()
        return dict(setting)

    def _list(self, certs, query):
        items = [self.state.public_cert(c) for c in certs.values() if c["status"] != "deleted"]
        page, per_page = int(float(query.get("page", 1))), int(float(query.get("per_page", 50)))
        chunk = items[(page - 1) * per_page : page * per_page]
        return chunk, {"result_info": {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(items)}}

    def upload(self, zone, certs, body, limit):
        facts = _cert_facts(body["certificate"])
        if facts is None:
            raise ApiError(400, 1402, "The certificate could not be parsed (PEM expected)")
        if facts["is_ca"]:
            raise ApiError(400, 1406, "missing leaf certificate")
        if not _key_matches(body["private_key"], facts["public_key"]):
            raise ApiError(400, 1405, "The private key does not match the certificate")
        if limit is not None and len([c for c in certs.values() if c["status"] != "deleted"]) >= limit:
            raise ApiError(400, 1419, "Only %d hostname certificates per zone are allowed" % limit)
        now = _now()
        cert = {
            "id": str(uuid.uuid4()),
            "certificate": body["certificate"],
            "expires_on": facts["expires_on"],
            "issuer": facts["issuer"],
            "signature": facts["signature"],
            "serial_number": facts["serial_number"],
            "status": "pending_deployment",
            "uploaded_on": now,
            "updated_at": now,
            "_created": time.monotonic(),
            # Kept as Cloudflare keeps it, to present the certificate; served only to the edge stand-in
            # through the control API, never in a Cloudflare API response or the request log.
            "_private_key": body["private_key"],
        }
        if certs is zone["zone_certs"]:
            cert["enabled"] = True
        certs[cert["id"]] = cert
        return self.state.public_cert(cert)

    def cert(self, zone, certs, cert_id, method):
        cert = certs.get(cert_id)
        if cert is None or cert["status"] == "deleted":
            raise ApiError(404, 1404, "Certificate not found")
        if method == "DELETE":
            del certs[cert_id]
            for name, b in list(zone["hostnames"].items()):
                if b["cert_id"] == cert_id:
                    del zone["hostnames"][name]
            cert = dict(cert, status="deleted")
        return self.state.public_cert(cert)

    def bind(self, zone, config):
        out = []
        for item in config:
            cert_id, hostname = item.get("cert_id"), item.get("hostname")
            cert = zone["hostname_certs"].get(cert_id)
            if cert is None:
                raise ApiError(400, 1415, "Certificate ID in request is either invalid or the certificate has been deleted")
            if not hostname:
                raise ApiError(400, 1416, "hostname is required")
            enabled = item.get("enabled")
            if enabled is None:
                zone["hostnames"].pop(hostname, None)
                out.append({"hostname": hostname, "cert_id": cert_id, "enabled": None, "status": "deleted"})
                continue
            else:
                bound = [h for h, b in zone["hostnames"].items() if b["cert_id"] == cert_id and h != hostname]
                if len(bound) >= MAX_ASSOCIATIONS_PER_CERT:
                    raise ApiError(400, 1417, "100 maximum associations on a single certificate are allowed")
                now = _now()
                prev = zone["hostnames"].get(hostname, {})
                zone["hostnames"][hostname] = {"cert_id": cert_id, "enabled": bool(enabled), "created_at": prev.get("created_at", now), "updated_at": now}
            out.append(self._hostname_obj(zone, hostname))
        return out

    def _hostname_obj(self, zone, hostname):
        binding = zone["hostnames"][hostname]
        cert = self.state.public_cert(zone["hostname_certs"][binding["cert_id"]])
        return {
            "hostname": hostname,
            "cert_id": binding["cert_id"],
            "enabled": binding["enabled"],
            "status": cert["status"],
            "cert_status": cert["status"],
            "created_at": binding["created_at"],
            "updated_at": binding["updated_at"],
            "cert_uploaded_on": cert["uploaded_on"],
            "cert_updated_at": cert["updated_at"],
            "certificate": cert["certificate"],
            "expires_on": cert["expires_on"],
            "issuer": cert["issuer"],
            "serial_number": cert["serial_number"],
            "signature": cert["signature"],
        }

    def hostname(self, zone, hostname):
        if hostname not in zone["hostnames"]:
            raise ApiError(404, 1404, "Hostname %s has no client certificate association" % hostname)
        return self._hostname_obj(zone, hostname)
