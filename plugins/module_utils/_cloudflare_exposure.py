# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which origins sit behind Cloudflare and what client certificate Cloudflare presents to each.

PRIVATE to the collection: may change without notice.

``collect`` reads a set of zones through the resource client (proxied DNS records, the three AOP
levels, the hostname bindings) into a JSON-serialisable structure - what the inventory plugin caches;
``build_hosts`` turns it into per-origin host variables. Nothing here imports Ansible.
"""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils._aop_precedence import effective_level


def collect(api, zones, account_id, record_types, per_page):
    """Read everything the inventory needs from Cloudflare; JSON-serialisable (it is what is cached)."""
    if zones:
        targets = []
        for name in zones:
            zid = api.zone_id(zone=name, account_id=account_id)
            if zid not in [t["id"] for t in targets]:
                targets.append({"id": zid, "name": name.strip().rstrip(".").lower()})
    else:
        targets = [{"id": z["id"], "name": z["name"]} for z in api.zones(account_id)]
    out = []
    for zone in targets:
        zid = zone["id"]
        params = {"proxied": "true"}  # a bool would be sent as 'True', which the API does not take
        if len(record_types) == 1:
            params["type"] = record_types[0]
        records = [
            {k: r.get(k) for k in ("id", "name", "type", "content")}
            for r in api.dns_records(zid, params, per_page)
            if r.get("proxied") is True and r.get("type") in record_types
        ]
        if not records:  # no origin of this zone in the inventory: its AOP settings do not matter
            out.append({"id": zid, "name": zone["name"], "records": []})
            continue
        tls_client_auth = api.setting(zid, "tls_client_auth").get("value")
        ssl_mode = api.setting(zid, "ssl").get("value")
        enabled = api.zone_aop_enabled(zid)
        zone_level = enabled and any(c.get("status") == "active" for c in api.certificates(zid, "zone"))
        bindings = {}
        if api.certificates(zid, "hostname"):
            for hostname in sorted({r["name"] for r in records}):
                binding = api.hostname_binding(zid, hostname)
                if binding is not None:
                    bindings[hostname] = {k: binding.get(k) for k in ("cert_id", "enabled", "status")}
        out.append(
            {
                "id": zid,
                "name": zone["name"],
                "ssl_mode": ssl_mode,
                "tls_client_auth": tls_client_auth,
                "zone_level_enabled": zone_level,
                "bindings": bindings,
                "records": records,
            }
        )
    return {"zones": out}


def build_hosts(data):
    """Origin -> its host variables, from what ``collect`` read."""
    hosts = {}
    for zone in data["zones"]:
        global_on = zone.get("tls_client_auth") == "on"
        for record in zone["records"]:
            origin = record["content"].rstrip(".").lower() if record["type"] == "CNAME" else record["content"]
            host = hosts.setdefault(
                origin,
                {
                    "cloudflare_origin_type": record["type"],
                    "cloudflare_zones": [],
                    "cloudflare_hostnames": {},
                    "cloudflare_aop_levels": {},
                    "cloudflare_records": [],
                    "cloudflare_zone_aop": {},
                },
            )
            if zone["name"] not in host["cloudflare_zones"]:
                host["cloudflare_zones"].append(zone["name"])
            names = host["cloudflare_hostnames"].setdefault(zone["name"], [])
            if record["name"] not in names:
                names.append(record["name"])
            host["cloudflare_aop_levels"][record["name"]] = effective_level(record["name"], global_on, zone["zone_level_enabled"], zone["bindings"])
            host["cloudflare_records"].append(dict(record, zone=zone["name"], zone_id=zone["id"]))
            host["cloudflare_zone_aop"][zone["name"]] = {
                "ssl_mode": zone["ssl_mode"],
                "tls_client_auth": zone["tls_client_auth"],
                "zone_level_enabled": zone["zone_level_enabled"],
            }
    for host in hosts.values():
        host["cloudflare_zones"].sort()
        for names in host["cloudflare_hostnames"].values():
            names.sort()
        host["cloudflare_records"].sort(key=lambda r: (r["zone"], r["name"], r["type"], r["id"]))
    return hosts
