# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Cloudflare resources the collection reads and changes, over one transport.

PRIVATE to the collection: may change without notice.

The only place that spells a ``/zones/...`` path. Every list follows ``result_info`` pages, and
certificates come back with the same public fields everywhere. Nothing here imports Ansible.
"""

from __future__ import annotations

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import CloudflareError

SSL_MODES_FOR_AOP = ("full", "strict", "origin_pull")
ZONES_PER_PAGE = 50  # the schema's maximum for GET /zones
MAX_PAGES = 100000

# The two kinds of AOP client certificate: where they live, how many a zone may hold, what to call one.
CERTIFICATE_KINDS = {
    "zone": {"path": "/zones/%s/origin_tls_client_auth", "limit": None, "what": "zone-level AOP certificate"},
    "hostname": {"path": "/zones/%s/origin_tls_client_auth/hostnames/certificates", "limit": 10, "what": "per-hostname AOP certificate"},
}
# What a module may show of a certificate object (never a private key: Cloudflare does not return one).
CERTIFICATE_FIELDS = ("id", "status", "enabled", "issuer", "signature", "serial_number", "expires_on", "uploaded_on", "updated_at")


def public_fields(cert):
    return {k: cert.get(k) for k in CERTIFICATE_FIELDS if k in cert}


class CloudflareApi:
    """Zones, zone settings, DNS records and the three levels of Authenticated Origin Pulls."""

    def __init__(self, client):
        self.client = client

    # ------------------------------------------------------------- pagination
    def list_all(self, path, params=None, per_page=None):
        """Every item of a list, following ``result_info``.

        With ``per_page`` the pages are asked for from the first (``page`` and ``per_page``). Without it
        (the certificate lists, whose schema declares no paging parameter) the first call is sent as it
        is, and ``page`` is added only when ``result_info`` says there is more. Stops at ``total_pages``
        when Cloudflare sends it; otherwise at the first page shorter than its ``per_page`` (the DNS
        records schema's ``total_count`` ignores the filters, so it cannot be trusted to stop), or after
        one page when no ``result_info`` comes back. A list asked without paging parameters also stops once it
        holds ``total_count`` items or a page brings nothing new: an API that ignores ``page`` answers the
        first page again, which must not loop.
        """
        items = []
        seen = set()
        page = 1
        while page <= MAX_PAGES:
            query = dict(params or {})
            if per_page is not None:
                query.update({"page": page, "per_page": per_page})
            elif page > 1:
                query["page"] = page
            envelope = self.client.request("GET", path, params=query or None)
            result = envelope.get("result") or []
            info = envelope.get("result_info") or {}
            if per_page is None:
                ids = [r.get("id") for r in result if isinstance(r, dict)]
                if page > 1 and ids and all(i in seen for i in ids):
                    return items
                seen.update(ids)
            items.extend(result)
            if per_page is None and info.get("total_count") is not None and len(items) >= int(info["total_count"]):
                return items
            total_pages = info.get("total_pages")
            size = info.get("per_page") or per_page
            if total_pages is not None:
                if page >= int(total_pages):
                    return items
            elif not size or len(result) < int(size):
                return items
            if not result:
                return items
            page += 1
        raise CloudflareError("GET %s: more than %d pages; stopped" % (path, MAX_PAGES))

    # ------------------------------------------------------------------ zones
    def zone_id(self, zone=None, zone_id=None, account_id=None):
        """Return the id of a zone, given directly (no call) or looked up by name (one call)."""
        if zone_id:
            zid = zone_id.strip().lower()
            if len(zid) != 32 or any(c not in "0123456789abcdef" for c in zid):
                raise CloudflareError("zone_id %r is not a Cloudflare zone id (32 hex characters); pass the zone name as 'zone' instead" % zone_id)
            return zid
        if not zone:
            raise CloudflareError("give the zone by name ('zone') or by id ('zone_id')")
        name = zone.strip().rstrip(".").lower()
        params = {"name": name, "per_page": ZONES_PER_PAGE}
        if account_id:
            params["account.id"] = account_id
        envelope = self.client.request("GET", "/zones", params=params)
        matches = [z for z in envelope.get("result") or [] if str(z.get("name", "")).lower() == name]
        if not matches:
            raise CloudflareError(
                "zone %r was not found%s. Hint: check the name, and that the credentials can read it (Zone Read permission)"
                % (name, " in account %s" % account_id if account_id else "")
            )
        if len(matches) > 1:
            accounts = ", ".join(sorted("%s (%s)" % (z.get("account", {}).get("id"), z.get("account", {}).get("name")) for z in matches))
            raise CloudflareError("zone name %r exists in several accounts: %s. Give account_id to choose one, or pass zone_id" % (name, accounts))
        return matches[0]["id"]

    def zones(self, account_id):
        """Every zone of an account."""
        return self.list_all("/zones", {"account.id": account_id}, ZONES_PER_PAGE)

    def dns_records(self, zone_id, params=None, per_page=100):
        return self.list_all("/zones/%s/dns_records" % zone_id, params, per_page)

    # --------------------------------------------------------------- settings
    def setting(self, zone_id, setting):
        return self.client.get("/zones/%s/settings/%s" % (zone_id, setting))

    def set_setting(self, zone_id, setting, value):
        return self.client.request("PATCH", "/zones/%s/settings/%s" % (zone_id, setting), body={"value": value})["result"]

    # ---------------------------------------------------- zone-level enablement
    def zone_aop_enabled(self, zone_id):
        return bool((self.client.get("/zones/%s/origin_tls_client_auth/settings" % zone_id) or {}).get("enabled"))

    def set_zone_aop_enabled(self, zone_id, enabled):
        """PUT the zone-level enablement; returns what Cloudflare reports afterwards."""
        answer = self.client.request("PUT", "/zones/%s/origin_tls_client_auth/settings" % zone_id, body={"enabled": enabled})["result"]
        return bool((answer or {}).get("enabled"))

    # ------------------------------------------------------------ certificates
    def certificates(self, zone_id, kind):
        return self.list_all(CERTIFICATE_KINDS[kind]["path"] % zone_id)

    def certificate(self, zone_id, kind, cert_id):
        return self.client.get("%s/%s" % (CERTIFICATE_KINDS[kind]["path"] % zone_id, cert_id))

    def upload_certificate(self, zone_id, kind, certificate, private_key):
        """POST a certificate and its key. Never retried once it may have been sent (not idempotent)."""
        body = {"certificate": certificate, "private_key": private_key}
        return self.client.request("POST", CERTIFICATE_KINDS[kind]["path"] % zone_id, body=body, idempotent=False)["result"]

    def delete_certificate(self, zone_id, kind, cert_id):
        return self.client.request("DELETE", "%s/%s" % (CERTIFICATE_KINDS[kind]["path"] % zone_id, cert_id))["result"]

    # ---------------------------------------------------------- hostname level
    def hostname_binding(self, zone_id, hostname):
        """The hostname's association, or None when it has none (Cloudflare answers 404)."""
        try:
            return self.client.get("/zones/%s/origin_tls_client_auth/hostnames/%s" % (zone_id, hostname))
        except CloudflareError as exc:
            if exc.status == 404:
                return None
            raise

    def put_hostname_bindings(self, zone_id, config):
        """Bind, disable (enabled false) or remove (enabled null) hostnames; returns the hostname objects."""
        return self.client.request("PUT", "/zones/%s/origin_tls_client_auth/hostnames" % zone_id, body={"config": config})["result"] or []
