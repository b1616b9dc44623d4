#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_tls_client_auth_info
short_description: Report a zone's whole Authenticated Origin Pulls picture
version_added: 0.1.0
description:
  - Returns, in one task, everything that decides which client certificate Cloudflare presents to the
    zone's origins - the SSL/TLS mode, global AOP (C(tls_client_auth)), zone-level AOP (enablement and
    uploaded certificates with status and expiry), per-hostname certificates, and the bindings of the
    hostnames named in O(hostnames).
  - Cloudflare's precedence is per-hostname, then zone-level, then global; RV(effective) applies it.
  - Only reads (5 GET calls, plus one per hostname, plus one when the zone is given by name).
  - On the controller (a local connection, without become, async or a task C(environment); not on macOS) its code runs
    in Ansible's worker process instead of a new Python interpreter, with the same result (without C(invocation));
    elsewhere the module runs as usual.
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
  - originpulls.aop._attributes.info_module
options:
  hostnames:
    description:
      - Hostnames whose per-hostname binding to report. The API has no call that lists all bindings.
    type: list
    elements: str
    default: []
  certificate_path:
    description:
      - Your own client certificate (PEM, on the controller). When set, RV(ours) tells which zone-level and which
        per-hostname certificate at Cloudflare it is (found by content), so a caller can tell whether Cloudflare
        presents it.
    type: path
  expiry_warning_days:
    description: Certificates that expire within this many days are listed in RV(findings).
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Read the AOP state of a zone
  originpulls.aop.origin_tls_client_auth_info:
    zone: example.com
    hostnames: [www.example.com, api.example.com]
  delegate_to: localhost
  register: aop

- name: Stop when global AOP is off
  ansible.builtin.assert:
    that: aop.tls_client_auth.value == 'on'
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
ssl_mode:
  description: The zone's SSL/TLS encryption mode, and whether AOP applies in it (Full or higher).
  returned: success
  type: dict
  sample: {"value": "strict", "aop_applies": true, "editable": true}
tls_client_auth:
  description: Global AOP setting.
  returned: success
  type: dict
  sample: {"value": "on", "editable": true, "modified_on": "2026-11-28T10:00:00Z"}
zone_level:
  description: Zone-level AOP - enablement and the uploaded certificates (without PEM text).
  returned: success
  type: dict
  sample:
    enabled: true
    certificates:
      - id: 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60
        status: active
        expires_on: "2027-11-28T00:00:00Z"
        days_remaining: 365
        issuer: CN=Example Client CA
hostname_certificates:
  description: Per-hostname certificates uploaded to the zone (without PEM text).
  returned: success
  type: list
  elements: dict
hostnames:
  description: Binding of each hostname in O(hostnames); its C(associated) is false when there is none.
  returned: success
  type: list
  elements: dict
  sample: [{"hostname": "www.example.com", "associated": true, "cert_id": "…", "enabled": true, "status": "active"}]
effective:
  description:
    - Which certificate Cloudflare presents, by precedence (per-hostname > zone-level > global).
    - A hostname whose binding is disabled gets none (V(none)), even with zone-level or global AOP on.
  returned: success
  type: dict
  sample: {"default": "global", "hostnames": {"www.example.com": "per_hostname"}}
ours:
  description: Your certificate at Cloudflare (ids of the zone-level and per-hostname certificates with its content, or null).
  returned: when O(certificate_path) is set
  type: dict
  sample: {"sha256_fingerprint": "AB:CD:…", "zone_level": "2458ce5a-0c35-4c7f-82c7-8e9487d3ff60", "hostname": null}
findings:
  description: Expiring certificates and inconsistent states worth a look (each is also shown as a warning).
  returned: success
  type: list
  elements: str
api_calls:
  description: The API calls this run made.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_info import INFO_OPTIONS, cloudflare_info
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule


def main():
    cloudflare_info(CloudflareModule(INFO_OPTIONS))


if __name__ == "__main__":
    main()
