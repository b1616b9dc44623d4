#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_setting
short_description: Read or set one Cloudflare zone setting
version_added: 0.1.0
description:
  - Reads one zone setting by its id (for example V(ssl), V(min_tls_version), V(tls_client_auth)) and,
    when O(value) is given, sets it.
  - Refuses, without any write, a setting that Cloudflare reports as not editable for the zone.
  - One GET; one PATCH only when the value differs.
  - For global Authenticated Origin Pulls prefer M(originpulls.aop.tls_client_auth), which also checks the
    SSL-mode prerequisite.
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
  - originpulls.aop._attributes
options:
  setting:
    description: Id of the zone setting, as in C(/zones/{zone_id}/settings/{setting}).
    type: str
    required: true
  value:
    description:
      - The value to set. Strings, numbers and objects are sent as they are.
      - Omit it to only read the setting.
    type: raw
"""

EXAMPLES = r"""
- name: Make sure the zone is at Full (strict)
  originpulls.aop.zone_setting:
    zone: example.com
    setting: ssl
    value: strict
  delegate_to: localhost

- name: Read the minimum TLS version
  originpulls.aop.zone_setting:
    zone: example.com
    setting: min_tls_version
  delegate_to: localhost
  register: min_tls
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
  sample: 023e105f4ecef8ad9ca31a8372d0c353
setting:
  description: The setting as Cloudflare reports it after the run (predicted in check mode).
  returned: success
  type: dict
  sample: {"id": "ssl", "value": "strict", "editable": true, "modified_on": "2026-11-28T10:00:00Z"}
previous_value:
  description: The value before the run.
  returned: success
  type: raw
  sample: full
api_calls:
  description: The API calls this run made (method, path, HTTP status).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule


def same_value(current, wanted):
    """Compare as Cloudflare would: YAML may turn 14400 into an int or '1.2' into a string."""
    if current == wanted:
        return True
    scalar = (str, int, float, bool)
    if isinstance(current, scalar) and isinstance(wanted, scalar) and not isinstance(current, bool) and not isinstance(wanted, bool):
        return str(current) == str(wanted)
    return False


def converge(m, zone_id):
    setting_id = m.params["setting"].strip()
    wanted = m.params["value"]
    current = m.api.setting(zone_id, setting_id)
    m.result["previous_value"] = current.get("value")
    m.result["setting"] = current
    if wanted is not None and not same_value(current.get("value"), wanted):
        if not current.get("editable", True):
            m.fail(
                "zone %s: setting %r is %r and should become %r, but Cloudflare reports it as not editable "
                "for this zone (plan or account restriction). Nothing was changed." % (zone_id, setting_id, current.get("value"), wanted)
            )
        m.result["changed"] = True
        m.result["setting"] = dict(current, value=wanted) if m.check_mode else m.api.set_setting(zone_id, setting_id, wanted)
    m.diff({setting_id: current.get("value")}, {setting_id: m.result["setting"].get("value")}, header="zone %s" % zone_id)


def main():
    CloudflareModule(dict(setting=dict(type="str", required=True), value=dict(type="raw"))).run(converge)


if __name__ == "__main__":
    main()
