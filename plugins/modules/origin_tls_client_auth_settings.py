#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_tls_client_auth_settings
short_description: Enable or disable zone-level Authenticated Origin Pulls
version_added: 0.1.0
description:
  - Sets C(enabled) of C(/zones/{zone_id}/origin_tls_client_auth/settings). While enabled, Cloudflare presents the zone's
    active uploaded certificate (M(originpulls.aop.origin_tls_client_auth)) to its origins instead of the shared global one.
  - Independent of global AOP (C(tls_client_auth), M(originpulls.aop.tls_client_auth)); per-hostname bindings take precedence.
  - Origins must trust your CA before this is enabled, and keep accepting it until it is disabled.
  - One GET; one PUT only when the value differs.
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
  - originpulls.aop._attributes
options:
  state:
    description:
      - V(enabled) turns zone-level AOP on, V(disabled) turns it off - the spelling of the other AOP switches
        (M(originpulls.aop.tls_client_auth), M(originpulls.aop.origin_tls_client_auth_hostname)).
      - One of O(state) and O(enabled) is required.
    type: str
    choices: [enabled, disabled]
  enabled:
    description:
      - Whether zone-level AOP is on, as Cloudflare's field is named. The earlier spelling of O(state), kept working;
        mutually exclusive with it.
    type: bool
"""

EXAMPLES = r"""
- name: Turn zone-level AOP on (certificate uploaded and active, origins trusting our CA)
  originpulls.aop.origin_tls_client_auth_settings:
    zone: example.com
    state: enabled
  delegate_to: localhost
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
enabled:
  description: Before and after (after predicted in check mode).
  returned: success
  type: dict
  sample: {"before": false, "after": true}
api_calls:
  description: The API calls this run made.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule


def converge(m, zone_id):
    want = m.params["enabled"] if m.params["state"] is None else m.params["state"] == "enabled"
    before = m.api.zone_aop_enabled(zone_id)
    m.result["enabled"] = dict(before=before, after=want)
    if before != want:
        m.result["changed"] = True
        if not m.check_mode:
            after = m.api.set_zone_aop_enabled(zone_id, want)
            if after != want:
                m.fail("zone %s: Cloudflare accepted enabled=%s but reports %s" % (zone_id, want, after))
    m.diff(dict(enabled=before), dict(enabled=want), header="zone %s" % zone_id)


def main():
    CloudflareModule(
        dict(state=dict(type="str", choices=["enabled", "disabled"]), enabled=dict(type="bool")),
        mutually_exclusive=[("state", "enabled")],
        required_one_of=[("state", "enabled")],
    ).run(converge)


if __name__ == "__main__":
    main()
