# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare's global Authenticated Origin Pulls CA, shipped with the collection.

PRIVATE to the collection. Byte-identical (plus a trailing newline) to
https://developers.cloudflare.com/ssl/static/authenticated_origin_pull_ca.pem
(cloudflare/cloudflare-docs public/ssl/static/authenticated_origin_pull_ca.pem).
Subject CN=origin-pull.cloudflare.net, OU=Origin Pull; valid 2019-10-10 to 2029-11-01 17:00:00 UTC;
SHA-256 (DER) 9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9.
The fingerprint is pinned in _x509.py and checked on every use.
"""

from __future__ import annotations

CLOUDFLARE_AOP_CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIGCjCCA/KgAwIBAgIIV5G6lVbCLmEwDQYJKoZIhvcNAQENBQAwgZAxCzAJBgNV
BAYTAlVTMRkwFwYDVQQKExBDbG91ZEZsYXJlLCBJbmMuMRQwEgYDVQQLEwtPcmln
aW4gUHVsbDEWMBQGA1UEBxMNU2FuIEZyYW5jaXNjbzETMBEGA1UECBMKQ2FsaWZv
cm5pYTEjMCEGA1UEAxMab3JpZ2luLXB1bGwuY2xvdWRmbGFyZS5uZXQwHhcNMTkx
MDEwMTg0NTAwWhcNMjkxMTAxMTcwMDAwWjCBkDELMAkGA1UEBhMCVVMxGTAXBgNV
BAoTEENsb3VkRmxhcmUsIEluYy4xFDASBgNVBAsTC09yaWdpbiBQdWxsMRYwFAYD
VQQHEw1TYW4gRnJhbmNpc2NvMRMwEQYDVQQIEwpDYWxpZm9ybmlhMSMwIQYDVQQD
ExpvcmlnaW4tcHVsbC5jbG91ZGZsYXJlLm5ldDCCAiIwDQYJKoZIhvcNAQEBBQAD
ggIPADCCAgoCggIBAN2y2zojYfl0bKfhp0AJBFeV+jQqbCw3sHmvEPwLmqDLqynI
42tZXR5y914ZB9ZrwbL/K5O46exd/LujJnV2b3dzcx5rtiQzso0xzljqbnbQT20e
ihx/WrF4OkZKydZzsdaJsWAPuplDH5P7J82q3re88jQdgE5hqjqFZ3clCG7lxoBw
hLaazm3NJJlUfzdk97ouRvnFGAuXd5cQVx8jYOOeU60sWqmMe4QHdOvpqB91bJoY
QSKVFjUgHeTpN8tNpKJfb9LIn3pun3bC9NKNHtRKMNX3Kl/sAPq7q/AlndvA2Kw3
Dkum2mHQUGdzVHqcOgea9BGjLK2h7SuX93zTWL02u799dr6Xkrad/WShHchfjjRn
aL35niJUDr02YJtPgxWObsrfOU63B8juLUphW/4BOjjJyAG5l9j1//aUGEi/sEe5
lqVv0P78QrxoxR+MMXiJwQab5FB8TG/ac6mRHgF9CmkX90uaRh+OC07XjTdfSKGR
PpM9hB2ZhLol/nf8qmoLdoD5HvODZuKu2+muKeVHXgw2/A6wM7OwrinxZiyBk5Hh
CvaADH7PZpU6z/zv5NU5HSvXiKtCzFuDu4/Zfi34RfHXeCUfHAb4KfNRXJwMsxUa
+4ZpSAX2G6RnGU5meuXpU5/V+DQJp/e69XyyY6RXDoMywaEFlIlXBqjRRA2pAgMB
AAGjZjBkMA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgECMB0GA1Ud
DgQWBBRDWUsraYuA4REzalfNVzjann3F6zAfBgNVHSMEGDAWgBRDWUsraYuA4REz
alfNVzjann3F6zANBgkqhkiG9w0BAQ0FAAOCAgEAkQ+T9nqcSlAuW/90DeYmQOW1
QhqOor5psBEGvxbNGV2hdLJY8h6QUq48BCevcMChg/L1CkznBNI40i3/6heDn3IS
zVEwXKf34pPFCACWVMZxbQjkNRTiH8iRur9EsaNQ5oXCPJkhwg2+IFyoPAAYURoX
VcI9SCDUa45clmYHJ/XYwV1icGVI8/9b2JUqklnOTa5tugwIUi5sTfipNcJXHhgz
6BKYDl0/UP0lLKbsUETXeTGDiDpxZYIgbcFrRDDkHC6BSvdWVEiH5b9mH2BON60z
0O0j8EEKTwi9jnafVtZQXP/D8yoVowdFDjXcKkOPF/1gIh9qrFR6GdoPVgB3SkLc
5ulBqZaCHm563jsvWb/kXJnlFxW+1bsO9BDD6DweBcGdNurgmH625wBXksSdD7y/
fakk8DagjbjKShYlPEFOAqEcliwjF45eabL0t27MJV61O/jHzHL3dknXeE4BDa2j
bA+JbyJeUMtU7KMsxvx82RmhqBEJJDBCJ3scVptvhDMRrtqDBW5JShxoAOcpFQGm
iYWicn46nPDjgTU0bX1ZPpTpryXbvciVL5RkVBuyX2ntcOLDPlZWgxZCBp96x07F
AnOzKgZk4RzZPNAxCXERVxajn/FLcOhglVAKo5H0ac+AitlQ0ip55D2/mf8o72tM
fVQ6VpyjEXdiIXWUq/o=
-----END CERTIFICATE-----
"""


def checked_ca(source="cloudflare_global", content=None, path=None, pins=(), expiry_warning_days=30):
    """The CA an origin will trust, read and judged: (result, warnings), as origin_pull_ca returns them.

    Raises ValueError with what is wrong and what to do. Imports cryptography only when called.
    """
    from ansible_collections.originpulls.aop.plugins.module_utils._x509 import HAS_CRYPTOGRAPHY, CertificateError, check_client_ca

    if not HAS_CRYPTOGRAPHY:
        raise ValueError("the Python library 'cryptography' is required where this module runs (pip install cryptography)")
    text, what = content, "the CA certificate"
    if path:
        what = "the CA certificate %s" % path
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
        except OSError as exc:
            raise ValueError("cannot read %s: %s" % (path, exc)) from None
    if text is None:
        if source == "custom":
            raise ValueError("source=custom needs the CA certificate: give content (PEM text) or path (a PEM file)")
        text, what = CLOUDFLARE_AOP_CA_PEM, "Cloudflare's origin-pull CA shipped with the collection"
    try:
        pem, facts, warnings = check_client_ca(text, expect=source, pins=list(pins), expiry_warning_days=expiry_warning_days, what=what)
    except CertificateError as exc:
        raise ValueError(str(exc)) from None
    return {"pem": pem, "certificates": facts, "sha256_fingerprints": [f["sha256_fingerprint"] for f in facts]}, warnings


# origin_pull_ca's options (the module, and its action plugin when the task runs on the controller).
ORIGIN_PULL_CA_SPEC = dict(
    source=dict(type="str", default="cloudflare_global", choices=["cloudflare_global", "custom"]),
    content=dict(type="str"),
    path=dict(type="path"),
    pin_sha256=dict(type="list", elements="str", default=[]),
    expiry_warning_days=dict(type="int", default=30),
)
ORIGIN_PULL_CA_KW = dict(mutually_exclusive=[("content", "path")])


def origin_pull_ca(p):
    """The module origin_pull_ca's result for validated parameters (``failed`` and ``msg`` when refused)."""
    try:
        result, warnings = checked_ca(p["source"], p["content"], p["path"], p["pin_sha256"], p["expiry_warning_days"])
    except ValueError as exc:
        return {"failed": True, "msg": str(exc)}
    return dict(result, changed=False, warnings=warnings) if warnings else dict(result, changed=False)
