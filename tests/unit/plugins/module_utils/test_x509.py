"""Judging the CA an origin trusts: the real AOP CA passes, the real mistakes are named."""

from __future__ import annotations

import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from ansible_collections.originpulls.aop.plugins.module_utils import _x509
from ansible_collections.originpulls.aop.plugins.module_utils._aop_ca import CLOUDFLARE_AOP_CA_PEM
from origin import pki

FILES = os.path.join(os.path.dirname(__file__), "..", "..", "files")
NOW = datetime.datetime(2026, 11, 28, tzinfo=datetime.timezone.utc)


def read(name):
    with open(os.path.join(FILES, name)) as fh:
        return fh.read()


def make_cert(ca=True, days=365, start_days=-1, cn="Test CA", ou=None):
    """A self-signed certificate named ``cn`` (and ``ou``), PEM, valid from ``start_days`` to ``days`` around NOW."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    cert, key = pki.issue(x509.Name(attrs), ca=ca, days=days, start_days=start_days, now=NOW)
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key


def test_shipped_ca_is_byte_identical_to_cloudflares_file():
    assert CLOUDFLARE_AOP_CA_PEM.strip() == read("authenticated_origin_pull_ca.pem").strip()


def test_cloudflare_ca_passes_with_pinned_fingerprint():
    pem, facts, warnings = _x509.check_client_ca(CLOUDFLARE_AOP_CA_PEM, now=NOW)
    assert facts[0]["sha256_fingerprint"] == _x509.CLOUDFLARE_AOP_CA_SHA256
    assert facts[0]["not_after"] == "2029-11-01T17:00:00Z"
    assert "CN=origin-pull.cloudflare.net" in facts[0]["subject"]
    assert warnings == [] and pem.endswith("-----END CERTIFICATE-----\n")


def test_cloudflare_ca_warns_inside_the_expiry_window():
    late = datetime.datetime(2029, 10, 20, tzinfo=datetime.timezone.utc)
    _pem, _facts, warnings = _x509.check_client_ca(CLOUDFLARE_AOP_CA_PEM, now=late)
    assert len(warnings) == 1 and "expires in 12 days" in warnings[0]


@pytest.mark.parametrize(
    "name,message",
    [
        ("authenticated_origin_pull_ca_expired_2020.pem", "earlier Cloudflare AOP CA, which expired on 2020-01-12"),
        ("origin_ca_rsa_root.pem", "Cloudflare Origin CA root"),
        ("origin_ca_ecc_root_expired_2021.pem", "Cloudflare Origin CA root"),
    ],
)
def test_real_mistakes_are_named(name, message):
    for expect in ("cloudflare_global", "custom"):
        with pytest.raises(_x509.CertificateError, match=message):
            _x509.check_client_ca(read("not-the-aop-ca/" + name), expect=expect, now=NOW)


def test_not_pem_and_private_key():
    with pytest.raises(_x509.CertificateError, match="not PEM"):
        _x509.check_client_ca("hello", now=NOW)
    with pytest.raises(_x509.CertificateError, match="private key, not a certificate"):
        _x509.check_client_ca("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n", now=NOW)
    with pytest.raises(_x509.CertificateError, match="does not parse"):
        _x509.check_client_ca("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", now=NOW)


def test_custom_ca_rules():
    good, _key = make_cert()
    pem, facts, warnings = _x509.check_client_ca(good, expect="custom", now=NOW)
    assert facts[0]["is_ca"] and warnings == []
    leaf, _key = make_cert(ca=False, cn="client")
    with pytest.raises(_x509.CertificateError, match="not a CA certificate"):
        _x509.check_client_ca(leaf, expect="custom", now=NOW)
    expired, _key = make_cert(days=-2, start_days=-30)
    with pytest.raises(_x509.CertificateError, match="expired on"):
        _x509.check_client_ca(expired, expect="custom", now=NOW)
    future, _key = make_cert(start_days=5)
    with pytest.raises(_x509.CertificateError, match="not valid before"):
        _x509.check_client_ca(future, expect="custom", now=NOW)
    soon, _key = make_cert(days=10)
    assert "expires in" in _x509.check_client_ca(soon, expect="custom", now=NOW)[2][0]


def test_custom_ca_is_refused_as_global_and_pins_are_enforced():
    good, _key = make_cert()
    with pytest.raises(_x509.CertificateError, match="not Cloudflare's origin-pull CA.*'custom'"):
        _x509.check_client_ca(good, expect="cloudflare_global", now=NOW)
    fp = _x509.check_client_ca(good, expect="custom", now=NOW)[1][0]["sha256_fingerprint"]
    assert _x509.check_client_ca(good, expect="custom", pins=[fp.replace(":", "").lower()], now=NOW)
    with pytest.raises(_x509.CertificateError, match="pinned"):
        _x509.check_client_ca(good, expect="custom", pins=["00" * 32], now=NOW)


def test_bundle_of_two_cas_for_rotation():
    a, _key_a = make_cert(cn="old CA")
    b, _key_b = make_cert(cn="new CA")
    pem, facts, _w = _x509.check_client_ca(a + "\n\n" + b, expect="custom", now=NOW)
    assert [f["subject"] for f in facts] == ["CN=old CA", "CN=new CA"]
    assert pem.count("BEGIN CERTIFICATE") == 2
