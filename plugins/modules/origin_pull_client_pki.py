#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_pull_client_pki
short_description: Create your own client CA and the client certificate Cloudflare will present
version_added: 0.1.0
description:
  - For zone-level or per-hostname Authenticated Origin Pulls with your own certificate - creates, with C(cryptography)
    (no openssl command), a client CA (origins trust it) and a leaf client certificate signed by it (uploaded to Cloudflare).
  - Files in O(path) - C(<name>-ca.crt), C(<name>-ca.key), C(<name>.crt), C(<name>.key). Keys are written C(0600),
    certificates C(0644). An existing CA is reused; the leaf is re-issued only when it is missing, not signed by the CA,
    or expires within O(renew_before_days).
  - Bring your own PKI instead if you have one; nothing else in the collection depends on this module.
extends_documentation_fragment:
  - originpulls.aop._attributes
options:
  path:
    description: Directory for the files (created 0700 if missing), on the host the module runs on.
    type: path
    required: true
  name:
    description: File name stem; use a new one (e.g. V(aop-2027)) to create the next generation for a rotation.
    type: str
    default: aop-client
  ca_common_name:
    description:
      - Subject CN of the CA.
      - Default - C(originpulls.aop client CA <name> <UTC time of creation>), so that each CA generation has a subject
        of its own. A rotation tells pulls signed by the new CA from the previous one by this CN, as the origins log it.
    type: str
  common_name:
    description: Subject CN of the client certificate.
    type: str
    default: origin-pull client
  organization:
    description: Subject O of both.
    type: str
    default: originpulls.aop
  ca_days:
    description: Validity of a new CA in days.
    type: int
    default: 3650
  days:
    description: Validity of a new client certificate in days.
    type: int
    default: 365
  renew_before_days:
    description: Re-issue the client certificate when it expires within this many days.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Make our AOP client CA and certificate on the controller
  originpulls.aop.origin_pull_client_pki:
    path: "{{ playbook_dir }}/pki"
  delegate_to: localhost
  register: pki
"""

RETURN = r"""
ca_path:
  description: The CA certificate (give it to the origins).
  returned: success
  type: str
certificate_path:
  description: The client certificate (upload it to Cloudflare).
  returned: success
  type: str
private_key_path:
  description: The client certificate's key (upload it with the certificate; mode 0600).
  returned: success
  type: str
ca_sha256_fingerprint:
  description: SHA-256 of the CA certificate.
  returned: success
  type: str
sha256_fingerprint:
  description: SHA-256 of the client certificate.
  returned: success
  type: str
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._x509 import HAS_CRYPTOGRAPHY, fingerprint_sha256, not_after

if HAS_CRYPTOGRAPHY:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def write(path, data, mode):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def build(subject, issuer, public_key, signer, days, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(signer, hashes.SHA256())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            name=dict(type="str", default="aop-client"),
            ca_common_name=dict(type="str"),
            common_name=dict(type="str", default="origin-pull client"),
            organization=dict(type="str", default="originpulls.aop"),
            ca_days=dict(type="int", default=3650),
            days=dict(type="int", default=365),
            renew_before_days=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg="the Python library 'cryptography' is required where this module runs (pip install cryptography)")
    p = module.params
    files = {k: os.path.join(p["path"], p["name"] + suffix) for k, suffix in (("ca", "-ca.crt"), ("ca_key", "-ca.key"), ("crt", ".crt"), ("key", ".key"))}
    now = datetime.datetime.now(datetime.timezone.utc)
    changed = []
    ca = ca_key = None
    if os.path.exists(files["ca"]) and os.path.exists(files["ca_key"]):
        with open(files["ca"], "rb") as fh:
            ca = x509.load_pem_x509_certificate(fh.read())
        with open(files["ca_key"], "rb") as fh:
            ca_key = serialization.load_pem_private_key(fh.read(), password=None)
        if not_after(ca) <= now:
            module.fail_json(msg="the CA %s expired on %s: create a new generation with another 'name'" % (files["ca"], not_after(ca)))
    else:
        changed.append(files["ca"])
    leaf = None
    if ca is not None and os.path.exists(files["crt"]) and os.path.exists(files["key"]):
        with open(files["crt"], "rb") as fh:
            leaf = x509.load_pem_x509_certificate(fh.read())
        fresh = not_after(leaf) - now > datetime.timedelta(days=p["renew_before_days"])
        if leaf.issuer != ca.subject or not fresh:
            leaf = None
    if leaf is None:
        changed.append(files["crt"])
    if changed and not module.check_mode:
        if not os.path.isdir(p["path"]):
            os.makedirs(p["path"], 0o700)
        org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, p["organization"])
        if ca is None:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            cn = p["ca_common_name"] or "originpulls.aop client CA %s %s" % (p["name"], datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
            ca_name = x509.Name([org, x509.NameAttribute(NameOID.COMMON_NAME, cn)])
            ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, p["ca_days"], True)
            write(files["ca_key"], key_pem(ca_key), 0o600)
            write(files["ca"], ca.public_bytes(serialization.Encoding.PEM), 0o644)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([org, x509.NameAttribute(NameOID.COMMON_NAME, p["common_name"])])
        leaf = build(subject, ca.subject, key.public_key(), ca_key, p["days"], False)
        write(files["key"], key_pem(key), 0o600)
        write(files["crt"], leaf.public_bytes(serialization.Encoding.PEM), 0o644)
    result = dict(
        changed=bool(changed),
        ca_path=files["ca"],
        certificate_path=files["crt"],
        private_key_path=files["key"],
        ca_sha256_fingerprint=fingerprint_sha256(ca) if ca is not None else None,
        sha256_fingerprint=fingerprint_sha256(leaf) if leaf is not None else None,
    )
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before="", after="".join("%s\n" % f for f in changed))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
