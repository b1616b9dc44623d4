"""DNS records of the emulator: ``GET /zones/{zone_id}/dns_records`` (list) and ``.../{dns_record_id}``.

Held to Cloudflare's official DNS records subset, ``schema/dns_records_openapi_subset.json`` (a
byte-identical copy of ``shared/cloudflare/dns_records_openapi_subset.json``, same api-schemas commit as
the AOP subset). That text has the defects listed in the README beside it; three of them make a strict
validator reject real traffic, and they are fixed *in memory* here (``PATCHES``, six edits in all),
never in the file:

1. both operations key their error response ``4xx``; OpenAPI 3.0.3 allows only ``4XX``;
2. that error schema is ``allOf`` [success envelope, failure envelope], which no body satisfies:
   it becomes the failure envelope (``dns-records_api-response-common-failure``);
3. the operations' ``security`` lists only ``api_email`` + ``api_key``: ``api_token`` is added.

The others need no patch: ``comment`` is not nullable, so a record without a comment has no
``comment`` key; ``zone_id``, ``zone_name`` and ``locked`` are sent because this commit of the schema
requires ``zone_name`` and ``locked`` (a client should not depend on them).

Pagination follows the schema's ``dns-records_result_info`` and nothing else: ``page``,
``per_page``, ``count`` (records on this page) and ``total_count`` - which the schema describes as
"Total results available without any search parameters", so it counts every record of the zone,
ignoring the filters. ``total_pages`` is not declared and not sent. A client must therefore page on
until a page holds fewer than ``per_page`` records.
"""

from __future__ import annotations

import copy
import datetime as _dt
import ipaddress
import json
import os
import uuid

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema")
DNS_OFFICIAL = os.path.join(SCHEMA_DIR, "dns_records_openapi_subset.json")
DNS_OFFICIAL_SHA256 = "2e8fa3d9219fdf5aee5953503e3accc2476e6174d5cf1738cfd26bcae072729e"

LIST = "/zones/{zone_id}/dns_records"
DETAILS = "/zones/{zone_id}/dns_records/{dns_record_id}"
FAILURE = {"$ref": "#/components/schemas/dns-records_api-response-common-failure"}
RECORD_TYPES = (
    "A",
    "AAAA",
    "CAA",
    "CERT",
    "CNAME",
    "DNSKEY",
    "DS",
    "HTTPS",
    "LOC",
    "MX",
    "NAPTR",
    "NS",
    "PTR",
    "SMIMEA",
    "SRV",
    "SSHFP",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
)
PROXIABLE_TYPES = ("A", "AAAA", "CNAME")
ORDER_FIELDS = ("type", "name", "content", "ttl", "proxied")
# Documented filters the emulator does not implement: refused rather than silently ignored.
UNIMPLEMENTED_FILTERS = ("search", "tag_match")


class DnsError(Exception):
    """An API error of the DNS endpoints; server.py turns it into its ApiError."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def load_spec(patched=True):
    """The DNS subset as a dict; with ``patched`` the in-memory fixes of ``PATCHES`` applied.

    Returns ``(spec, applied)`` where ``applied`` lists each edit made (empty for the official text).
    """
    with open(DNS_OFFICIAL) as fh:
        spec = json.load(fh)
    applied = []
    if patched:
        for template, ops in spec["paths"].items():
            for method, op in ops.items():
                responses = op["responses"]
                if "4xx" in responses:
                    responses["4XX"] = responses.pop("4xx")
                    applied.append("%s %s: responses key 4xx -> 4XX" % (method.upper(), template))
                error = responses.get("4XX", {}).get("content", {}).get("application/json", {})
                if "allOf" in error.get("schema", {}):
                    error["schema"] = copy.deepcopy(FAILURE)
                    applied.append("%s %s: 4XX schema -> dns-records_api-response-common-failure" % (method.upper(), template))
                security = op.get("security")
                if security is not None and {"api_token": []} not in security:
                    security.append({"api_token": []})
                    applied.append("%s %s: security += api_token" % (method.upper(), template))
    return spec, applied


def _now():
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def records_of(zone):
    """The zone's records, by id (created on first use: zones are made by server.State)."""
    return zone.setdefault("dns_records", {})


def add_record(zone, name, type, content, proxied=None, ttl=1, record_id=None, comment=None, tags=(), proxiable=None, priority=None, data=None):
    """Seed one record in ``zone`` (a State zone dict) and return it as the API shows it.

    ``name`` may be relative (``www``), ``@`` or absolute; it is stored fully qualified, lower case.
    ``proxied`` applies to A, AAAA and CNAME only (the schema declares it only there); the default for
    those is False, for other types the key is absent. ``priority`` (MX, URI) and ``data`` (structured
    types) are passed through; the schema requires them for those types.
    """
    rtype = str(type).upper()
    if rtype not in RECORD_TYPES:
        raise ValueError("unknown DNS record type %r" % type)
    fqdn = _qualify(name, zone["name"])
    if rtype == "A":
        ipaddress.IPv4Address(content)
    elif rtype == "AAAA":
        ipaddress.IPv6Address(content)
    if proxiable is None:
        proxiable = rtype in PROXIABLE_TYPES
    if proxied and (rtype not in PROXIABLE_TYPES or not proxiable):
        raise ValueError("a %s record cannot be proxied" % rtype)
    now = _now()
    record = {
        "id": record_id or uuid.uuid4().hex,
        "zone_id": zone["id"],
        "zone_name": zone["name"],
        "name": fqdn,
        "type": rtype,
        "content": content,
        "proxiable": bool(proxiable),
        "ttl": 1 if proxied else ttl,  # proxied records always have automatic TTL
        "locked": False,
        "meta": {"auto_added": False, "source": "primary"},
        "tags": list(tags),
        "created_on": now,
        "modified_on": now,
    }
    if rtype in PROXIABLE_TYPES:
        record["proxied"] = bool(proxied)
    if comment is not None:
        record["comment"] = comment
    if priority is not None:
        record["priority"] = priority
    if data is not None:
        record["data"] = data
    records_of(zone)[record["id"]] = record
    return dict(record)


def remove_records(zone):
    records_of(zone).clear()


def _qualify(name, zone_name):
    name = str(name).strip().rstrip(".").lower()
    if name in ("", "@"):
        return zone_name
    if name == zone_name or name.endswith("." + zone_name):
        return name
    return "%s.%s" % (name, zone_name)


def _bool(value):
    return {"true": True, "false": False}[str(value).lower()]


def list_records(zone, query):
    """``GET /zones/{zone_id}/dns_records``: filters, order, pages. Returns (result, extra envelope keys)."""
    for name in UNIMPLEMENTED_FILTERS:
        if name in query:
            raise DnsError(400, 1004, "cf_emulator does not implement the %r filter of the DNS records list" % name)
    every = list(records_of(zone).values())
    tests = []
    if "name" in query:
        wanted = _qualify(query["name"], zone["name"])
        tests.append(lambda r: r["name"] == wanted)
    if "type" in query:
        tests.append(lambda r: r["type"] == query["type"])
    if "content" in query:
        tests.append(lambda r: r["content"].lower() == query["content"].lower())
    if "proxied" in query:
        wanted_proxied = _bool(query["proxied"])
        tests.append(lambda r: r.get("proxied", False) is wanted_proxied)
    tests.extend(_comment_tests(query))
    tests.extend(_tag_tests(query))
    combine = any if query.get("match", "all") == "any" else all
    matched = [r for r in every if not tests or combine(t(r) for t in tests)]

    order = query.get("order", "type")
    matched.sort(key=lambda r: (_sort_value(r, order), r["name"], r["content"], r["id"]), reverse=query.get("direction", "asc") == "desc")

    page = int(float(query.get("page", 1)))
    per_page = int(float(query.get("per_page", 100)))
    chunk = matched[(page - 1) * per_page : page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(every)}
    return [dict(r) for r in chunk], {"result_info": info}


def _sort_value(record, order):
    value = record.get(order)
    if order == "proxied":
        return 1 if value else 0
    if order == "ttl":
        return value or 0
    return str(value or "")


def _comment_tests(query):
    tests = []
    exact = query.get("comment", query.get("comment.exact"))
    if exact is not None:
        tests.append(lambda r: (r.get("comment") or "").lower() == exact.lower())
    if "comment.present" in query:
        tests.append(lambda r: bool(r.get("comment")))
    if "comment.absent" in query:
        tests.append(lambda r: not r.get("comment"))
    for suffix, how in (("contains", str.__contains__), ("startswith", str.startswith), ("endswith", str.endswith)):
        key = "comment." + suffix
        if key in query:
            tests.append(_comment_test(how, query[key].lower()))
    return tests


def _comment_test(how, value):
    return lambda r: how((r.get("comment") or "").lower(), value)


def _tag_tests(query):
    """Tag filters, combined with AND among themselves (``tag_match`` ``all``, the default)."""

    def tags(record):
        out = {}
        for tag in record.get("tags") or []:
            key, _sep, value = tag.partition(":")
            out[key.lower()] = value.lower()
        return out

    checks = []
    if "tag" in query:
        key, sep, value = query["tag"].lower().partition(":")
        checks.append(lambda t, k=key, v=value, s=sep: k in t and (not s or t[k] == v))
    if "tag.present" in query:
        present = query["tag.present"].lower()
        checks.append(lambda t: present in t)
    if "tag.absent" in query:
        absent = query["tag.absent"].lower()
        checks.append(lambda t: absent not in t)
    for suffix, how in (("exact", str.__eq__), ("contains", str.__contains__), ("startswith", str.startswith), ("endswith", str.endswith)):
        key = "tag." + suffix
        if key in query:
            name, _sep, value = query[key].lower().partition(":")
            checks.append(lambda t, k=name, v=value, how=how: k in t and how(t[k], v))
    if not checks:
        return []
    return [lambda r: all(c(tags(r)) for c in checks)]


def record_details(zone, record_id):
    """``GET /zones/{zone_id}/dns_records/{dns_record_id}``."""
    record = records_of(zone).get(record_id)
    if record is None:
        raise DnsError(404, 81044, "Record does not exist.")
    return dict(record)


def route(op, zone, params, query):
    """Dispatch a DNS operation; returns (result, extra) like server._Routes.call."""
    if (op.method, op.template) == ("GET", LIST):
        return list_records(zone, query)
    if (op.method, op.template) == ("GET", DETAILS):
        return record_details(zone, params["dns_record_id"]), {}
    raise DnsError(400, 7000, "No route for that URI")
