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

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import CERTIFICATE_KINDS as KINDS
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import public_fields
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_errors import CloudflareError
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import HAS_CRYPTOGRAPHY, CertificateError, check_client_certificate, pem_fingerprint

FINAL_FAILURES = ("deployment_timed_out", "deletion_timed_out", "deleted")


def summarize(cert):
    out = public_fields(cert)
    out["sha256_fingerprint"] = pem_fingerprint(cert.get("certificate") or "")
    return out


def same_content(cert, fingerprint):
    return pem_fingerprint(cert.get("certificate") or "") == fingerprint


class CertificateStore:
    """The certificates of one kind in one zone, identified by content."""

    def __init__(self, api, zone_id, kind, sleep=time.sleep):
        self.api = api
        self.zone_id = zone_id
        self.kind = kind
        self.sleep = sleep

    def list(self):
        return self.api.certificates(self.zone_id, self.kind)

    def find(self, fingerprint, listing=None):
        for cert in self.list() if listing is None else listing:
            if cert.get("status") not in FINAL_FAILURES and same_content(cert, fingerprint):
                return cert
        return None

    def upload(self, certificate, private_key, fingerprint):
        try:
            return self.api.upload_certificate(self.zone_id, self.kind, certificate, private_key)
        except CloudflareError as exc:
            if exc.status is None or exc.status >= 500:
                # The upload may have happened (timeout, dropped connection, 5xx): look before failing.
                found = self.find(fingerprint)
                if found:
                    return found
            raise

    def get(self, cert_id):
        return self.api.certificate(self.zone_id, self.kind, cert_id)

    def delete(self, cert_id):
        return self.api.delete_certificate(self.zone_id, self.kind, cert_id)

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
        cert_id=dict(type="str", aliases=["id"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        expiry_warning_days=dict(type="int", default=30),
    )


def given(m, name, what):
    """The PEM text of option ``name``, or of the file named by ``name``_path, or None."""
    if m.params[name] is not None:
        return m.params[name]
    path = m.params[name + "_path"]
    return m.read_file(path, what) if path else None


def checked_input(m, what):
    """(certificate PEM, private key PEM, fingerprint), everything about the input judged before any call."""
    p = m.params
    if not HAS_CRYPTOGRAPHY:
        m.fail("the Python library 'cryptography' is required where this module runs (pip install cryptography)")
    cert_text = given(m, "certificate", "the certificate")
    key_text = fingerprint = None
    warnings = []
    if p["state"] == "present":
        key_text = given(m, "private_key", "the private key")
        if key_text is None:
            m.fail("state=present needs the certificate's private key: private_key or private_key_path")
        try:
            cert_text, facts, warnings = check_client_certificate(cert_text, key_text, p["expiry_warning_days"], what="the %s" % what)
        except CertificateError as exc:
            m.fail(str(exc))
        fingerprint = facts["sha256_fingerprint"]
    elif cert_text is not None:
        fingerprint = pem_fingerprint(cert_text)
        if fingerprint is None:
            m.fail("certificate is not a PEM certificate")
    elif not p["cert_id"]:
        m.fail("state=absent needs the certificate (certificate or certificate_path) or its cert_id")
    if p["wait_timeout"] < 0:
        m.fail("wait_timeout must be 0 or more seconds")
    for w in warnings:
        m.warn(w)
    return cert_text, key_text, fingerprint


def present(m, store, listing, cert_text, key_text, fingerprint):
    what = KINDS[store.kind]["what"]
    found = store.find(fingerprint, listing)
    if found is None:
        limit = KINDS[store.kind]["limit"]
        live = [c for c in listing if c.get("status") not in FINAL_FAILURES]
        if limit is not None and len(live) >= limit:
            m.fail("zone %s already has %d %ss, Cloudflare's limit is %d per zone: delete one first (state=absent)" % (store.zone_id, len(live), what, limit))
        m.result["changed"] = True
        if m.check_mode:
            m.result["certificate"] = dict(id=None, status="pending_deployment", sha256_fingerprint=fingerprint)
        else:
            found = store.upload(cert_text, key_text, fingerprint)
    if found is not None:
        if m.params["wait"] and not m.check_mode:
            found = store.wait_active(found, m.params["wait_timeout"])
        m.result["certificate"] = summarize(found)
        if not m.result["certificate"].get("sha256_fingerprint"):
            m.result["certificate"]["sha256_fingerprint"] = fingerprint
    m.diff("" if m.result["changed"] else "%s\n" % fingerprint, "%s\n" % fingerprint)


def absent(m, store, listing, fingerprint):
    target = next((c for c in listing if (m.params["cert_id"] and c.get("id") == m.params["cert_id"]) or (fingerprint and same_content(c, fingerprint))), None)
    if target is not None and target.get("status") not in ("deleted", "pending_deletion"):
        m.result["changed"] = True
        m.result["certificate"] = summarize(target)
        if not m.check_mode:
            store.delete(target["id"])
    fp = summarize(target)["sha256_fingerprint"] if target else ""
    m.diff("%s\n" % fp if m.result["changed"] else "", "")


def run_certificate_module(kind):
    m = CloudflareModule(
        certificate_argument_spec(),
        mutually_exclusive=[("certificate", "certificate_path"), ("private_key", "private_key_path")],
        required_if=[("state", "present", ("certificate", "certificate_path"), True)],
    )
    cert_text, key_text, fingerprint = checked_input(m, KINDS[kind]["what"])

    def work(m, zone_id):
        store = CertificateStore(m.api, zone_id, kind)
        listing = store.list()
        m.result["certificates"] = [summarize(c) for c in listing]
        if m.params["state"] == "present":
            present(m, store, listing, cert_text, key_text, fingerprint)
        else:
            absent(m, store, listing, fingerprint)

    m.run(work)
