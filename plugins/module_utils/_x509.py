# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that parses and judges certificates and keys (cryptography).

PRIVATE to the collection: may change without notice. Imports nothing from Ansible.
"""

from __future__ import annotations

import datetime
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover
    HAS_CRYPTOGRAPHY = False

# Cloudflare's global AOP CA (authenticated_origin_pull_ca.pem): SHA-256 of the DER certificate.
CLOUDFLARE_AOP_CA_SHA256 = "9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"
# Certificates operators mistake for it (real, public; see tests/unit/files/not-the-aop-ca).
KNOWN_MISTAKES = {
    "06:24:65:EE:A1:44:01:F4:8B:E7:D9:A8:73:F2:EE:67:4F:96:80:65:84:22:5D:50:C0:4F:76:1D:44:80:B8:BA": (
        "this is the earlier Cloudflare AOP CA, which expired on 2020-01-12; download the current one "
        "(authenticated_origin_pull_ca.pem, valid to 2029-11-01) or leave the collection's default"
    ),
}
ORIGIN_CA_OU_MARKERS = ("CloudFlare Origin SSL Certificate Authority", "CloudFlare Origin SSL ECC Certificate Authority")

PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s+.*?-----END CERTIFICATE-----", re.S)


class CertificateError(Exception):
    """A certificate input that must be refused, with a message that says what to do."""


def _utc(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)


def not_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:  # cryptography < 42
        return _utc(cert.not_valid_after)


def not_before(cert):
    try:
        return cert.not_valid_before_utc
    except AttributeError:  # cryptography < 42
        return _utc(cert.not_valid_before)


def fingerprint_sha256(cert):
    return ":".join("%02X" % b for b in bytearray(cert.fingerprint(hashes.SHA256())))


def normalize_fingerprint(value):
    hexchars = re.sub(r"[^0-9A-Fa-f]", "", value or "").upper()
    return ":".join(hexchars[i : i + 2] for i in range(0, len(hexchars), 2))


def _attr(name, oid):
    values = name.get_attributes_for_oid(oid)
    return values[0].value if values else None


def is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def split_pem(text):
    """Return the PEM certificate blocks in ``text`` (normalised, one trailing newline each)."""
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace")
    return [block.strip() + "\n" for block in PEM_RE.findall(text)]


def load_certificates(text, what="the CA certificate"):
    if not HAS_CRYPTOGRAPHY:
        raise CertificateError("the Python library 'cryptography' is required on the controller (pip install cryptography)")
    blocks = split_pem(text or "")
    if not blocks:
        if "PRIVATE KEY" in (text or ""):
            raise CertificateError("%s contains a private key, not a certificate: give the CA certificate (PEM), never a key" % what)
        raise CertificateError("%s is not PEM: expected one or more '-----BEGIN CERTIFICATE-----' blocks" % what)
    certs = []
    for i, block in enumerate(blocks):
        try:
            certs.append(x509.load_pem_x509_certificate(block.encode()))
        except ValueError as exc:
            raise CertificateError("%s: PEM block %d does not parse as an X.509 certificate (%s)" % (what, i + 1, exc))
    return blocks, certs


def describe(cert, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    end = not_after(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "not_before": not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_remaining": int((end - now).total_seconds() // 86400),
        "sha256_fingerprint": fingerprint_sha256(cert),
        "is_ca": is_ca(cert),
        "self_signed": cert.subject == cert.issuer,
    }


def check_client_ca(text, expect="cloudflare_global", pins=None, expiry_warning_days=30, now=None, what="the CA certificate"):
    """Judge a CA bundle that an origin will trust for client certificates.

    ``expect``: ``cloudflare_global`` (the default: Cloudflare's origin-pull CA, pinned) or
    ``custom`` (the operator's own CA for zone-level / per-hostname AOP).
    Returns (pem, facts, warnings); raises CertificateError with what is wrong and what to do.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    blocks, certs = load_certificates(text, what)
    facts = [describe(c, now) for c in certs]
    warnings = []
    pinned = [normalize_fingerprint(p) for p in (pins or [])]
    if expect == "cloudflare_global" and not pinned:
        pinned = [CLOUDFLARE_AOP_CA_SHA256]
    for cert, fact in zip(certs, facts):
        fp = fact["sha256_fingerprint"]
        ou = _attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) or ""
        if fp in KNOWN_MISTAKES:
            raise CertificateError("%s (%s): %s" % (what, fact["subject"], KNOWN_MISTAKES[fp]))
        if ou in ORIGIN_CA_OU_MARKERS:
            raise CertificateError(
                "%s is a Cloudflare Origin CA root (%s): it signs origin *server* certificates, not the client "
                "certificate Cloudflare presents in Authenticated Origin Pulls. Use the AOP CA "
                "(authenticated_origin_pull_ca.pem, CN=origin-pull.cloudflare.net) - the collection's default" % (what, ou)
            )
        if not fact["is_ca"]:
            raise CertificateError(
                "%s (%s) is not a CA certificate (no basicConstraints CA:TRUE): an origin must trust the CA that "
                "signs the client certificate, not the client certificate itself" % (what, fact["subject"])
            )
        if fact["days_remaining"] < 0 or not_after(cert) <= now:
            raise CertificateError("%s (%s) expired on %s; client certificates signed by it no longer verify" % (what, fact["subject"], fact["not_after"]))
        if not_before(cert) > now:
            raise CertificateError("%s (%s) is not valid before %s (check the clock)" % (what, fact["subject"], fact["not_before"]))
        if fact["days_remaining"] < expiry_warning_days:
            warnings.append("%s (%s) expires in %d days, on %s" % (what, fact["subject"], fact["days_remaining"], fact["not_after"]))
    if pinned:
        missing = [p for p in pinned if p not in [f["sha256_fingerprint"] for f in facts]]
        unexpected = [f for f in facts if f["sha256_fingerprint"] not in pinned]
        if unexpected or missing:
            if expect == "cloudflare_global":
                raise CertificateError(
                    "%s is not Cloudflare's origin-pull CA: SHA-256 fingerprint %s, expected %s. For your own CA "
                    "(zone-level or per-hostname AOP) set the CA source to 'custom'"
                    % (what, ", ".join(f["sha256_fingerprint"] for f in facts), CLOUDFLARE_AOP_CA_SHA256)
                )
            raise CertificateError(
                "%s does not match the pinned SHA-256 fingerprint(s) %s (got %s)" % (what, ", ".join(pinned), ", ".join(f["sha256_fingerprint"] for f in facts))
            )
    return "".join(blocks), facts, warnings


# ------------------------------------------------------------ client certificates
def load_private_key(text, what="the private key"):
    from cryptography.hazmat.primitives import serialization

    if not text or "PRIVATE KEY" not in text:
        raise CertificateError("%s is not a PEM private key ('-----BEGIN ... PRIVATE KEY-----')" % what)
    try:
        return serialization.load_pem_private_key(text.encode() if isinstance(text, str) else text, password=None)
    except (ValueError, TypeError) as exc:
        # Never echo key material: only the library's reason.
        raise CertificateError("%s does not parse (encrypted keys are not supported): %s" % (what, str(exc).split("\n", maxsplit=1)[0][:120]))


def public_key_bytes(key):
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_client_certificate(cert_text, key_text, expiry_warning_days=30, now=None, what="the client certificate"):
    """Judge a certificate + key that Cloudflare will present to origins (zone-level / per-hostname AOP).

    Returns (normalised certificate PEM, facts, warnings); raises CertificateError. The key is only
    compared, never returned or shown.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    blocks, certs = load_certificates(cert_text, what)
    if len(certs) != 1:
        raise CertificateError("%s must be exactly one (leaf) certificate, got %d PEM blocks" % (what, len(certs)))
    cert = certs[0]
    fact = describe(cert, now)
    if fact["is_ca"]:
        raise CertificateError(
            "%s (%s) is a CA certificate: Cloudflare needs the leaf (client) certificate it will present, "
            "signed by your CA; origins trust the CA (Cloudflare answers 'missing leaf certificate' otherwise)" % (what, fact["subject"])
        )
    key = load_private_key(key_text)
    if public_key_bytes(key.public_key()) != public_key_bytes(cert.public_key()):
        raise CertificateError("the private key does not belong to %s (%s): their public keys differ" % (what, fact["subject"]))
    if not_after(cert) <= now:
        raise CertificateError("%s (%s) expired on %s" % (what, fact["subject"], fact["not_after"]))
    if not_before(cert) > now:
        raise CertificateError("%s (%s) is not valid before %s (check the clock)" % (what, fact["subject"], fact["not_before"]))
    warnings = []
    if fact["days_remaining"] < expiry_warning_days:
        warnings.append("%s (%s) expires in %d days, on %s" % (what, fact["subject"], fact["days_remaining"], fact["not_after"]))
    return blocks[0], fact, warnings


def pem_fingerprint(text):
    """SHA-256 fingerprint of the first certificate in PEM text; None when it does not parse."""
    try:
        _blocks, certs = load_certificates(text)
    except CertificateError:
        return None
    return fingerprint_sha256(certs[0])
