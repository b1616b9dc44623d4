#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_pull_ca
short_description: Validate the CA an origin will trust for Cloudflare's client certificate
version_added: 0.1.0
description:
  - Parses and judges, with C(cryptography), the CA certificate (bundle) that origins will use to verify the
    client certificate of Authenticated Origin Pulls, and returns it normalised for installation.
  - By default it is Cloudflare's global origin-pull CA shipped with the collection, checked against its
    pinned SHA-256 fingerprint. With O(source=custom) it is your own CA for zone-level or per-hostname AOP.
  - Refuses, with a message naming the mistake - input that is not PEM, a private key, a leaf instead of a
    CA, an expired or not-yet-valid CA, a Cloudflare B(Origin CA) root (it signs origin server certificates),
    the earlier AOP CA that expired in 2020, and a fingerprint that does not match the pin.
  - A CA that expires within O(expiry_warning_days) is accepted with a warning.
  - Changes nothing anywhere; the origin roles run it on the controller before touching any config.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  source:
    description:
      - V(cloudflare_global) - Cloudflare's origin-pull CA (global AOP). Without O(content) or O(path) the copy
        shipped with the collection is used. Always checked against the pinned fingerprint.
      - V(custom) - your own CA (zone-level or per-hostname AOP); give O(content) or O(path).
    type: str
    choices: [cloudflare_global, custom]
    default: cloudflare_global
  content:
    description: The CA certificate(s), PEM text. Several concatenated certificates are accepted (rotation).
    type: str
  path:
    description: A PEM file on the host the module runs on (normally the controller).
    type: path
  pin_sha256:
    description:
      - SHA-256 fingerprints (DER) the certificates must have, with or without colons.
      - Defaults to Cloudflare's origin-pull CA for O(source=cloudflare_global); empty for V(custom).
    type: list
    elements: str
    default: []
  expiry_warning_days:
    description: Warn when a CA expires within this many days.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Check the default (Cloudflare's origin-pull CA, pinned)
  originpulls.aop.origin_pull_ca:
  delegate_to: localhost
  register: ca

- name: Check our own client CA for zone-level AOP
  originpulls.aop.origin_pull_ca:
    source: custom
    path: files/aop-client-ca.pem
    expiry_warning_days: 60
  delegate_to: localhost
"""

RETURN = r"""
pem:
  description: The certificate(s), normalised PEM, ready to install on the origins.
  returned: success
  type: str
certificates:
  description: What each certificate is.
  returned: success
  type: list
  elements: dict
  sample:
    - subject: CN=origin-pull.cloudflare.net,OU=Origin Pull,O=CloudFlare\, Inc.,L=San Francisco,ST=California,C=US
      sha256_fingerprint: "9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"
      not_after: "2029-11-01T17:00:00Z"
      days_remaining: 1069
      is_ca: true
sha256_fingerprints:
  description: The fingerprints, in order.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._aop_ca import ORIGIN_PULL_CA_KW, ORIGIN_PULL_CA_SPEC, origin_pull_ca


def main():
    module = AnsibleModule(argument_spec=ORIGIN_PULL_CA_SPEC, supports_check_mode=True, **ORIGIN_PULL_CA_KW)
    result = origin_pull_ca(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    for w in result.pop("warnings", []):
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
