# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the AOP access log that the origin roles write (the verification gate's evidence).

PRIVATE to the collection. Imports nothing from Ansible.

Every server role logs one line per request in the same key=value shape:
``time=<ISO 8601> server=<vhost> host=<Host> ... status=<code> verify=<result> s_dn="..." i_dn="..." ...``
``verify`` is SUCCESS (certificate verified), NONE (no certificate), FAILED:<reason> or GENEROUS.

HAProxy writes the same shape, with ``verify=<X509 error number> used=<0|1>`` (``ssl_c_verify`` is 0 also
when no certificate was sent); that pair is normalised here. Caddy and Traefik cannot log a verify result:
their JSON access logs are read instead, and a client certificate in them was verified (their stages
never let an unverified certificate through), so it counts as SUCCESS; they log no issuer.
"""

from __future__ import annotations

import datetime
import json
import os
import re

FIELD = re.compile(r'(\w+)=("((?:[^"\\]|\\.)*)"|\S*)')


def parse_line(line):
    if line.lstrip().startswith("{"):
        return parse_json_line(line)
    out = {}
    for m in FIELD.finditer(line):
        out[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
    if "used" in out and "verify" in out:  # HAProxy: ssl_c_used, ssl_c_verify
        if out["used"] != "1":
            out["verify"] = "NONE"
        elif out["verify"] == "0":
            out["verify"] = "SUCCESS"
        else:
            out["verify"] = "FAILED:%s" % out["verify"]
    return out


def parse_json_line(line):
    """A Caddy or Traefik JSON access-log line in the key=value record shape (empty if neither)."""
    try:
        rec = json.loads(line)
    except ValueError:
        return {}
    if not isinstance(rec, dict):
        return {}
    request = rec.get("request")
    if isinstance(request, dict) and "ts" in rec:  # Caddy
        tls = request.get("tls") or {}
        if not tls:
            return {}
        client = tls.get("client_serial") or tls.get("client_common_name")
        when = datetime.datetime.fromtimestamp(float(rec["ts"]), tz=datetime.timezone.utc)
        return {
            "time": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "server": tls.get("server_name", ""),
            "host": str(request.get("host", "")).rsplit(":", 1)[0],
            "status": str(rec.get("status", "")),
            "verify": "SUCCESS" if client else "NONE",
            "s_dn": "CN=%s" % tls["client_common_name"] if tls.get("client_common_name") else "",
        }
    if "RequestHost" in rec and "TLSVersion" in rec:  # Traefik
        return {
            "time": str(rec.get("StartUTC") or rec.get("time", ""))[:19] + "+0000",
            "server": rec.get("RequestHost", ""),
            "host": rec.get("RequestHost", ""),
            "status": str(rec.get("DownstreamStatus", "")),
            "verify": "SUCCESS" if rec.get("TLSClientSubject") else "NONE",
            "s_dn": rec.get("TLSClientSubject", ""),
        }
    return {}


def parse_time(value):
    """ISO 8601 as nginx ($time_iso8601: +00:00) and Apache (%z: +0000) write it; None if unparsable."""
    if not value:
        return None
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+0000"
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})([+-]\d{2}):?(\d{2})$", v)
    if not m:
        return None
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    sign = -1 if m.group(2).startswith("-") else 1
    offset = datetime.timedelta(hours=int(m.group(2)[1:]), minutes=int(m.group(3))) * sign
    return (base - offset).replace(tzinfo=datetime.timezone.utc)


ISSUER_CN_RE = re.compile(r"(?:^|[,/])\s*CN\s*=\s*((?:\\.|[^,/])+)")


def issuer_cn(i_dn):
    """The CN of an issuer DN as servers log it (RFC 2253 ``CN=x,O=y`` or OpenSSL's ``/O=y/CN=x``)."""
    m = ISSUER_CN_RE.search(i_dn or "")
    return m.group(1).strip() if m else None


def count(lines, since=None, server_names=None, issuer_contains=None, issuer_cn_is=None):
    """Count requests in the AOP log at or after ``since`` (aware datetime).

    verified: a certificate was presented and verified (and, with ``issuer_contains``, issued by that CA;
    with ``issuer_cn_is``, by the CA of exactly that CN)
    unverified: no certificate (NONE), or with ``issuer_contains`` verified but from another issuer (servers
    that log no issuer: only the CA the role configured can have verified it, so it counts as verified)
    other_issuer: with ``issuer_cn_is``, verified but issued by another CA (a rotation's previous
    certificate: expected until Cloudflare presents the new one, not a refused pull)
    failed: a certificate was presented and did not verify (FAILED:..., GENEROUS)
    """
    c = {"verified": 0, "unverified": 0, "other_issuer": 0, "failed": 0, "total": 0, "last": None}
    for line in lines:
        rec = parse_line(line)
        if "verify" not in rec:
            continue
        when = parse_time(rec.get("time"))
        if since is not None and (when is None or when < since):
            continue
        if server_names and rec.get("server") not in server_names and rec.get("host") not in server_names:
            continue
        c["total"] += 1
        verify = rec["verify"]
        if verify == "SUCCESS" and issuer_cn_is and "i_dn" in rec and issuer_cn(rec["i_dn"]) != issuer_cn_is:
            c["other_issuer"] += 1
        elif verify == "SUCCESS" and (not issuer_contains or "i_dn" not in rec or issuer_contains in rec["i_dn"]):
            c["verified"] += 1
        elif verify in ("NONE", "-", "") or verify == "SUCCESS":
            c["unverified"] += 1
        else:
            c["failed"] += 1
        c["last"] = rec.get("time")
    return c


TAIL_BYTES = 16 * 1024 * 1024


def tail_lines(path, limit=TAIL_BYTES):
    """The complete lines of the last ``limit`` bytes of the log at ``path`` (none when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    lines = data.splitlines()
    return lines[1:] if size > limit else lines
