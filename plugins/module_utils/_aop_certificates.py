# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Zone-level and per-hostname AOP client certificates on Cloudflare: the shared module logic.

PRIVATE to the collection. Cloudflare has no update call for these certificates, so a
certificate is identified by its content (SHA-256 of the certificate), uploaded once, waited on
until ``active``, and deleted by id. The private key goes to Cloudflare in the upload body and
nowhere else: never into results, diffs or messages.
"""

from __future__ import annotations

import time

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import (
    CloudflareError,
    api_calls,
    client_from_module,
    cloudflare_module,
    resolve_zone,
)
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import HAS_CRYPTOGRAPHY, CertificateError, check_client_certificate, pem_fingerprint

KINDS = {
    "zone": {"path": "/zones/%s/origin_tls_client_auth", "limit": None, "what": "zone-level AOP certificate"},
    "hostname": {"path": "/zones/%s/origin_tls_client_auth/hostnames/certificates", "limit": 10, "what": "per-hostname AOP certificate"},
}
FINAL_FAILURES = ("deployment_timed_out", "deletion_timed_out", "deleted")
PUBLIC_FIELDS = ("id", "status", "enabled", "issuer", "signature", "serial_number", "expires_on", "uploaded_on", "updated_at")


def summarize(cert):
    out = {k: cert.get(k) for k in PUBLIC_FIELDS if k in cert}
    out["sha256_fingerprint"] = pem_fingerprint(cert.get("certificate") or "")
    return out


class CertificateStore:
    def __init__(self, client, zone_id, kind, sleep=time.sleep):
        self.client = client
        self.base = KINDS[kind]["path"] % zone_id
        self.kind = kind
        self.sleep = sleep

    def list(self):
        return self.client.get(self.base) or []

    def find(self, fingerprint, listing=None):
        for cert in self.list() if listing is None else listing:
            if cert.get("status") in FINAL_FAILURES:
                continue
            if pem_fingerprint(cert.get("certificate") or "") == fingerprint:
                return cert
        return None

    def upload(self, certificate, private_key, fingerprint):
        try:
            return self.client.request("POST", self.base, body={"certificate": certificate, "private_key": private_key}, idempotent=False)["result"]
        except CloudflareError as exc:
            if exc.status is None or exc.status >= 500:
                # The upload may have happened (timeout, dropped connection, 5xx): look before failing.
                found = self.find(fingerprint)
                if found:
                    return found
            raise

    def get(self, cert_id):
        return self.client.get("%s/%s" % (self.base, cert_id))

    def delete(self, cert_id):
        return self.client.request("DELETE", "%s/%s" % (self.base, cert_id))["result"]

    def wait_active(self, cert, timeout, interval=2.0):
        deadline = time.time() + timeout
        while cert.get("status") != "active":
            if cert.get("status") in FINAL_FAILURES:
                raise CloudflareError("%s %s is %s on Cloudflare; upload it again" % (KINDS[self.kind]["what"], cert.get("id"), cert.get("status")))
            if time.time() >= deadline:
                raise CloudflareError(
                    "%s %s is still %r after %ss; it stays uploaded - run again to keep waiting, or raise wait_timeout"
                    % (KINDS[self.kind]["what"], cert.get("id"), cert.get("status"), timeout)
                )
            self.sleep(min(interval, max(0.1, deadline - time.time())))
            cert = self.get(cert["id"])
        return cert


def certificate_argument_spec():
    """Options of the 'originpulls.aop.aop_certificate' doc fragment (the Cloudflare ones come on top)."""
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        certificate=dict(type="str"),
        certificate_path=dict(type="path"),
        private_key=dict(type="str", no_log=True),
        private_key_path=dict(type="path", no_log=False),
        id=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        expiry_warning_days=dict(type="int", default=30),
    )


def _read(module, path, what):
    try:
        with open(path) as fh:
            return fh.read()
    except OSError as exc:
        module.fail_json(msg="cannot read %s %s: %s" % (what, path, exc))


def run_certificate_module(kind):
    module = cloudflare_module(
        certificate_argument_spec(),
        mutually_exclusive=[("certificate", "certificate_path"), ("private_key", "private_key_path")],
        required_if=[("state", "present", ("certificate", "certificate_path"), True)],
    )
    p = module.params
    what = KINDS[kind]["what"]
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg="the Python library 'cryptography' is required where this module runs (pip install cryptography)")
    cert_text = (
        p["certificate"] if p["certificate"] is not None else (_read(module, p["certificate_path"], "the certificate") if p["certificate_path"] else None)
    )
    fingerprint = None
    warnings = []
    # Everything about the input is judged before the first API call.
    if p["state"] == "present":
        key_text = (
            p["private_key"] if p["private_key"] is not None else (_read(module, p["private_key_path"], "the private key") if p["private_key_path"] else None)
        )
        if key_text is None:
            module.fail_json(msg="state=present needs the certificate's private key: private_key or private_key_path")
        try:
            cert_text, facts, warnings = check_client_certificate(cert_text, key_text, p["expiry_warning_days"], what="the %s" % what)
        except CertificateError as exc:
            module.fail_json(msg=str(exc))
        fingerprint = facts["sha256_fingerprint"]
    elif cert_text is not None:
        fingerprint = pem_fingerprint(cert_text)
        if fingerprint is None:
            module.fail_json(msg="certificate is not a PEM certificate")
    elif not p["id"]:
        module.fail_json(msg="state=absent needs the certificate (certificate or certificate_path) or its id")
    if p["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds")
    for w in warnings:
        module.warn(w)

    client = client_from_module(module)
    result = dict(changed=False)
    try:
        zone_id = resolve_zone(module, client)
        result["zone_id"] = zone_id
        store = CertificateStore(client, zone_id, kind)
        listing = store.list()
        result["certificates"] = [summarize(c) for c in listing]
        if p["state"] == "present":
            found = store.find(fingerprint, listing)
            if found is None:
                limit = KINDS[kind]["limit"]
                live = [c for c in listing if c.get("status") not in FINAL_FAILURES]
                if limit is not None and len(live) >= limit:
                    module.fail_json(
                        msg="zone %s already has %d %ss, Cloudflare's limit is %d per zone: delete one first (state=absent)"
                        % (zone_id, len(live), what, limit),
                        api_calls=api_calls(client),
                        **result,
                    )
                result["changed"] = True
                if module.check_mode:
                    result["certificate"] = dict(id=None, status="pending_deployment", sha256_fingerprint=fingerprint)
                else:
                    found = store.upload(cert_text, key_text, fingerprint)
            if found is not None:
                if p["wait"] and not module.check_mode:
                    found = store.wait_active(found, p["wait_timeout"])
                result["certificate"] = summarize(found)
                if not result["certificate"].get("sha256_fingerprint"):
                    result["certificate"]["sha256_fingerprint"] = fingerprint
            if module._diff:  # pylint: disable=protected-access
                result["diff"] = dict(before="" if result["changed"] else "%s\n" % fingerprint, after="%s\n" % fingerprint)
        else:
            target = None
            for cert in listing:
                if (p["id"] and cert.get("id") == p["id"]) or (fingerprint and pem_fingerprint(cert.get("certificate") or "") == fingerprint):
                    target = cert
                    break
            if target is not None and target.get("status") not in ("deleted", "pending_deletion"):
                result["changed"] = True
                result["certificate"] = summarize(target)
                if not module.check_mode:
                    store.delete(target["id"])
            if module._diff:  # pylint: disable=protected-access
                fp = summarize(target)["sha256_fingerprint"] if target else ""
                result["diff"] = dict(before="%s\n" % fp if result["changed"] else "", after="")
    except CloudflareError as exc:
        module.fail_json(msg=str(exc), api_calls=api_calls(client), **result)
    module.exit_json(api_calls=api_calls(client), **result)
