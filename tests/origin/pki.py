"""Test PKI for the origin scenarios: a stand-in for Cloudflare's origin-pull CA and friends.

    python tests/origin/pki.py DIR

Writes (PEM, keys 0600): server.{crt,key} (CN/SAN origin.test and edge.test, signed by server-ca),
server-ca.crt, cf-test-ca.{crt,key} ("Test Origin Pull CA", stands in for Cloudflare's CA),
client-good.{crt,key} (signed by cf-test-ca, like Cloudflare's origin-pull certificate),
other-ca.{crt,key} and client-wrong.{crt,key} (signed by another CA), client-self.{crt,key}
(self-signed). Idempotent: an existing DIR/complete marker skips the work.
"""

from __future__ import annotations

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)


def name(cn, org):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def issue(subject, issuer=None, issuer_key=None, ca=False, days=365, sans=(), usage=None, start_days=-1, now=None):
    """A certificate for ``subject`` and its new key: self-signed unless ``issuer``/``issuer_key`` are given, valid
    from ``start_days`` to ``days`` days after ``now`` (default: the time this module was loaded)."""
    now = now or NOW
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = issuer or subject
    signer = issuer_key or key
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=start_days))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    if usage:
        b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return b.sign(signer, hashes.SHA256()), key


def save(directory, stem, cert, key):
    with open(os.path.join(directory, stem + ".crt"), "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    path = os.path.join(directory, stem + ".key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def main(directory):
    os.makedirs(directory, exist_ok=True)
    marker = os.path.join(directory, "complete")
    if os.path.exists(marker):
        return 0
    server_ca, server_ca_key = issue(name("Test Server CA", "originpulls.aop tests"), ca=True)
    save(directory, "server-ca", server_ca, server_ca_key)
    server, server_key = issue(
        name("origin.test", "originpulls.aop tests"), server_ca.subject, server_ca_key, sans=("origin.test", "edge.test"), usage=ExtendedKeyUsageOID.SERVER_AUTH
    )
    save(directory, "server", server, server_key)
    cf_ca, cf_key = issue(name("origin-pull.test", "Test Origin Pull CA"), ca=True, days=3650)
    save(directory, "cf-test-ca", cf_ca, cf_key)
    good, good_key = issue(name("origin-pull.test-client", "Cloudflare, Inc."), cf_ca.subject, cf_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    save(directory, "client-good", good, good_key)
    other, other_key = issue(name("Some Other CA", "Somebody Else"), ca=True)
    save(directory, "other-ca", other, other_key)
    wrong, wrong_key = issue(name("not-cloudflare.test", "Somebody Else"), other.subject, other_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    save(directory, "client-wrong", wrong, wrong_key)
    selfsigned, self_key = issue(name("self-signed.test", "Nobody"), usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    save(directory, "client-self", selfsigned, self_key)
    open(marker, "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
