#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_tls_client_auth_hostname_certificate
short_description: Upload, find and delete per-hostname Authenticated Origin Pulls certificates
version_added: 0.1.0
description:
  - Manages the client certificates of B(per-hostname) AOP (C(/zones/{zone_id}/origin_tls_client_auth/hostnames/certificates)),
    which M(originpulls.aop.origin_tls_client_auth_hostname) binds to hostnames.
  - Cloudflare allows 10 hostname certificates per zone; an upload beyond that is refused before the call.
  - Idempotent by content - listing (1 GET) finds an uploaded certificate by its SHA-256 fingerprint; the upload (POST)
    happens only when it is missing, and is never blindly retried (after an ambiguous failure the listing is read again).
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
  - originpulls.aop.aop_certificate
  - originpulls.aop._attributes
"""

EXAMPLES = r"""
- name: Upload our client certificate and wait until Cloudflare deploys it
  originpulls.aop.origin_tls_client_auth_hostname_certificate:
    zone: example.com
    certificate_path: pki/aop-client.crt
    private_key_path: pki/aop-client.key
  delegate_to: localhost
  register: aop_cert

- name: Delete the previous certificate after a rotation
  originpulls.aop.origin_tls_client_auth_hostname_certificate:
    zone: example.com
    cert_id: "{{ old_cert_id }}"
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
certificate:
  description: The certificate on Cloudflare (no PEM, never the key).
  returned: when a certificate was found, uploaded or deleted
  type: dict
  sample:
    id: 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60
    status: active
    issuer: CN=Example Client CA
    serial_number: 6743787633689793699141714808227354901
    expires_on: "2027-11-28T00:00:00Z"
    sha256_fingerprint: "3E:...:9A"
certificates:
  description: Every certificate of this kind on the zone, as listed before the run's change (no PEM, no key).
  returned: success
  type: list
  elements: dict
zone_id:
  description: Id of the zone.
  returned: success
  type: str
api_calls:
  description: The API calls this run made.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.originpulls.aop.plugins.module_utils._aop_certificates import run_certificate_module


def main():
    run_certificate_module("hostname")


if __name__ == "__main__":
    main()
