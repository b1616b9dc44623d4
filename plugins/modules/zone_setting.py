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
author: originpulls.aop maintainers (@originpulls)
extends_documentation_fragment:
  - originpulls.aop.cloudflare
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


from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare import (
    CloudflareError,
    api_calls,
    client_from_module,
    cloudflare_module,
    resolve_zone,
)


def same_value(current, wanted):
    """Compare as Cloudflare would: YAML may turn 14400 into an int or '1.2' into a string."""
    if current == wanted:
        return True
    scalar = (str, int, float, bool)
    if isinstance(current, scalar) and isinstance(wanted, scalar) and not isinstance(current, bool) and not isinstance(wanted, bool):
        return str(current) == str(wanted)
    return False


def main():
    module = cloudflare_module(dict(setting=dict(type="str", required=True), value=dict(type="raw")))
    setting_id = module.params["setting"].strip()
    wanted = module.params["value"]
    client = client_from_module(module)
    result = dict(changed=False)
    try:
        zone_id = resolve_zone(module, client)
        result["zone_id"] = zone_id
        current = client.get_setting(zone_id, setting_id)
        result["previous_value"] = current.get("value")
        result["setting"] = current
        if wanted is not None and not same_value(current.get("value"), wanted):
            if not current.get("editable", True):
                module.fail_json(
                    msg="zone %s: setting %r is %r and should become %r, but Cloudflare reports it as not editable "
                    "for this zone (plan or account restriction). Nothing was changed." % (zone_id, setting_id, current.get("value"), wanted),
                    api_calls=api_calls(client),
                    **result,
                )
            result["changed"] = True
            if module.check_mode:
                result["setting"] = dict(current, value=wanted)
            else:
                result["setting"] = client.set_setting(zone_id, setting_id, wanted)
        if module._diff:  # pylint: disable=protected-access
            result["diff"] = dict(
                before={setting_id: current.get("value")},
                after={setting_id: result["setting"].get("value")},
                before_header="zone %s" % zone_id,
                after_header="zone %s" % zone_id,
            )
    except CloudflareError as exc:
        module.fail_json(msg=str(exc), api_calls=api_calls(client), **result)
    module.exit_json(api_calls=api_calls(client), **result)


if __name__ == "__main__":
    main()
