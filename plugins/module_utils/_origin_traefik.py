# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Traefik: no configuration-test command and no include into the operator's files.

PRIVATE to the collection. Imports nothing from Ansible.

Traefik's file provider applies changed files by itself. The role writes its dynamic file as comment
lines + JSON (valid YAML), which this test can read without a YAML library on the origin.
"""

from __future__ import annotations

import json

TRAEFIK_CLIENT_AUTH = ("NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert")


def _without_comment_lines(text):
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))


def traefik_dynamic_test(paths):
    """(rc, message) for the Traefik dynamic-configuration files among ``paths``."""
    problems = []
    checked = 0
    for path in paths:
        if not path.endswith((".yml", ".yaml")):
            continue
        checked += 1
        try:
            with open(path) as fh:
                doc = json.loads(_without_comment_lines(fh.read()))
        except (OSError, ValueError) as exc:
            problems.append("%s: not readable as JSON/YAML (%s)" % (path, exc))
            continue
        options = ((doc.get("tls") or {}).get("options") or {}) if isinstance(doc, dict) else {}
        for name, opt in options.items():
            auth = (opt or {}).get("clientAuth") or {}
            kind = auth.get("clientAuthType", "NoClientCert")
            if kind not in TRAEFIK_CLIENT_AUTH:
                problems.append("%s: tls.options.%s.clientAuth.clientAuthType %r is not one of %s" % (path, name, kind, ", ".join(TRAEFIK_CLIENT_AUTH)))
            for ca in auth.get("caFiles") or []:
                try:
                    with open(ca) as fh:
                        pem = fh.read()
                except OSError as exc:
                    problems.append("%s: tls.options.%s.clientAuth.caFiles: %s cannot be read (%s)" % (path, name, ca, exc))
                    continue
                if "-----BEGIN CERTIFICATE-----" not in pem:
                    problems.append("%s: tls.options.%s.clientAuth.caFiles: %s holds no PEM certificate" % (path, name, ca))
            if kind in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert") and not auth.get("caFiles"):
                problems.append("%s: tls.options.%s verifies client certificates but names no caFiles" % (path, name))
    if problems:
        return 1, "; ".join(problems)
    return 0, "%d Traefik dynamic configuration file(s) checked" % checked
