#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: audit_probe
short_description: The exposure audit's direct requests around Cloudflare, many at once
version_added: 0.1.0
description:
  - Sends each request of O(targets) directly to an origin (SNI and C(Host) = the target's hostname), in parallel,
    and classifies each outcome as C(originpulls.aop.tls_probe) does - an HTTP status, a TLS rejection, or
    unreachable; RV(results) has one entry per target, in order.
  - A target of kind V(no_certificate) presents no client certificate; V(wrong_ca) presents a certificate from a
    CA made for this run with C(cryptography) (nobody can trust it), kept in a private temporary directory that is
    removed before the module returns.
  - Changes nothing; runs on the controller (the audit probes from where it runs). The targets are what
    C(originpulls.aop.audit_findings) plans.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  targets:
    description:
      - The requests, each with C(hostname) (SNI and Host), C(connect) (address to connect to), C(port) (default
        443) and C(kind) (V(no_certificate) or V(wrong_ca)); other keys are returned as given.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds for the connect and the read of each request.
    type: float
    default: 10
  parallel:
    description: Requests in flight at once.
    type: int
    default: 16
requirements:
  - cryptography (on the controller, for V(wrong_ca))
"""

EXAMPLES = r"""
- name: Send each direct request around Cloudflare
  originpulls.aop.audit_probe:
    targets:
      - {hostname: www.example.com, connect: 192.0.2.10, port: 443, kind: no_certificate}
      - {hostname: www.example.com, connect: 192.0.2.10, port: 443, kind: wrong_ca}
  register: audit_probes
  delegate_to: localhost
"""

RETURN = r"""
results:
  description: One per target, in order - the target's keys plus C(outcome) (HTTP status as a string, V(tls_rejected) or
    V(unreachable)), C(refused) and C(detail), as C(originpulls.aop.tls_probe) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{"hostname": "www.example.com", "connect": "192.0.2.10", "port": 443, "kind": "no_certificate",
            "outcome": "tls_rejected", "refused": true, "detail": "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] ..."}]
"""

import datetime
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.originpulls.aop.plugins.module_utils._direct_request import is_refused, probe

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

KINDS = ("no_certificate", "wrong_ca")


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "originpulls.aop audit"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def untrusted_client_certificate(directory):
    """A fresh CA (never written anywhere else) and a client certificate it signed; returns (cert path, key path)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("originpulls.aop audit - a CA nobody trusts")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("originpulls.aop audit wrong-CA client"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "client.crt"), os.path.join(directory, "client.key")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def main():
    module = AnsibleModule(
        argument_spec=dict(
            targets=dict(type="list", elements="dict", required=True),
            timeout=dict(type="float", default=10),
            parallel=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    targets = module.params["targets"]
    for i, t in enumerate(targets):
        if not t.get("hostname") or not t.get("connect") or t.get("kind") not in KINDS:
            module.fail_json(msg="targets[%d] needs hostname, connect and kind (%s): %s" % (i, " or ".join(KINDS), t))
    needs_cert = any(t["kind"] == "wrong_ca" for t in targets)
    if needs_cert and not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    directory = tempfile.mkdtemp(prefix="aop-audit-")
    try:
        cert, key = untrusted_client_certificate(directory) if needs_cert else (None, None)

        def one(t):
            p = {
                "host": t["connect"],
                "port": int(t.get("port") or 443),
                "server_name": t["hostname"],
                "path": "/",
                "certificate_path": cert if t["kind"] == "wrong_ca" else None,
                "private_key_path": key if t["kind"] == "wrong_ca" else None,
                "tls_version": "any",
                "timeout": module.params["timeout"],
            }
            outcome, detail = probe(p)
            return dict(t, outcome=outcome, refused=is_refused(outcome), detail=detail)

        with ThreadPoolExecutor(max_workers=max(1, module.params["parallel"])) as pool:
            results = list(pool.map(one, targets))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
