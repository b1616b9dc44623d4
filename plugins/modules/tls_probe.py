#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_probe
short_description: One direct HTTPS request to an origin, with or without a client certificate
version_added: 0.1.0
description:
  - Proves enforcement the way Cloudflare's guide ends ("send requests directly to your origin ... verifying
    that the requests fail") - connects to the origin, sends one request, and classifies the outcome as an HTTP
    status, a TLS rejection (the origin refused the handshake, as Apache, HAProxy and Caddy do without a valid
    client certificate), or unreachable.
  - RV(refused) is true for a TLS rejection and for HTTP 400, 403, 495 and 496 (nginx answers 400).
  - With O(expect), the task fails when the outcome is not the expected one.
  - Changes nothing; normally runs on the controller.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  host:
    description: Address to connect to (the origin's own address, not Cloudflare's).
    type: str
    required: true
  port:
    description: TCP port.
    type: int
    default: 443
  server_name:
    description: SNI and C(Host) header; must name the virtual host (nginx answers 421 on a mismatch).
    type: str
    required: true
  path:
    description: Request path.
    type: str
    default: /
  certificate_path:
    description:
      - PEM client certificate to present (with O(private_key_path)).
      - The same name as in the certificate modules. The old name O(client_cert) still works as an alias.
    type: path
    aliases: [client_cert]
  private_key_path:
    description:
      - Its private key (PEM file).
      - The old name O(client_key) still works as an alias.
    type: path
    aliases: [client_key]
  tls_version:
    description: Pin the TLS version.
    type: str
    choices: [any, "1.2", "1.3"]
    default: any
  timeout:
    description: Seconds for connect and read.
    type: float
    default: 10
  expect:
    description: V(refused) or V(served) makes the task fail on any other outcome; V(any) only reports.
    type: str
    choices: [any, refused, served]
    default: any
"""

EXAMPLES = r"""
- name: A direct request without a client certificate must be refused
  originpulls.aop.tls_probe:
    host: 203.0.113.10
    server_name: www.example.com
    expect: refused
  delegate_to: localhost
"""

RETURN = r"""
outcome:
  description: The HTTP status (as a string), V(tls_rejected) or V(unreachable).
  returned: always
  type: str
  sample: "400"
refused:
  description: Whether the origin refused the request.
  returned: always
  type: bool
detail:
  description: Status line or error text.
  returned: always
  type: str
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._direct_request import TLS_PROBE_KW, TLS_PROBE_SPEC, tls_probe


def main():
    module = AnsibleModule(argument_spec=TLS_PROBE_SPEC, supports_check_mode=True, **TLS_PROBE_KW)
    result = tls_probe(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
