#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: tls_client_auth
short_description: Turn global Cloudflare Authenticated Origin Pulls on or off
version_added: 0.1.0
description:
  - Manages the zone setting C(tls_client_auth), the switch for B(global) Authenticated Origin Pulls (AOP).
    While it is on, Cloudflare presents its shared client certificate (signed by the Cloudflare
    origin-pull CA) on every connection to the zone's origins.
  - Before turning it on, the module checks the prerequisite that the zone's SSL/TLS encryption mode
    (setting C(ssl)) is Full or higher (V(full), V(strict) or V(origin_pull)); AOP does not apply in
    Off or Flexible mode. It fails with a clear message otherwise, unless O(raise_ssl_mode) allows it to
    raise the mode first.
  - Turn origins to the C(optional) stage B(before) enabling, and back to C(optional) B(before)
    disabling; the playbooks C(originpulls.aop.enable_aop) and C(originpulls.aop.disable_aop) do that.
  - Zone-level and per-hostname AOP are independent of this setting and are not touched.
  - Reads two settings (2 GET calls); writes only what must change (1 PATCH, or 2 with O(raise_ssl_mode)).
extends_documentation_fragment:
  - originpulls.aop.cloudflare
  - originpulls.aop.cloudflare.connection
  - originpulls.aop._attributes
options:
  state:
    description:
      - V(enabled) turns C(tls_client_auth) on, V(disabled) turns it off.
    type: str
    choices: [enabled, disabled]
    default: enabled
  raise_ssl_mode:
    description:
      - When enabling and the zone's SSL mode is below Full, raise it to this mode first instead of failing.
      - V(strict) (Full (strict)) needs a valid, trusted certificate on every origin; V(full) accepts any
        origin certificate. Left unset, a zone below Full makes the module fail without any change.
      - A mode already at Full or higher is never changed (Cloudflare's automatic SSL/TLS may have raised it).
    type: str
    choices: [full, strict, origin_pull]
"""

EXAMPLES = r"""
- name: Turn on global Authenticated Origin Pulls (origins already at the optional stage)
  originpulls.aop.tls_client_auth:
    zone: example.com
    state: enabled
  delegate_to: localhost
  run_once: true

- name: Turn it on, raising the SSL mode of a Flexible zone to Full (strict)
  originpulls.aop.tls_client_auth:
    zone_id: 023e105f4ecef8ad9ca31a8372d0c353
    api_token: "{{ lookup('ansible.builtin.env', 'CLOUDFLARE_API_TOKEN') }}"
    state: enabled
    raise_ssl_mode: strict
  delegate_to: localhost

- name: Turn it off (origins first relaxed to optional)
  originpulls.aop.tls_client_auth:
    zone: example.com
    state: disabled
  delegate_to: localhost
"""

RETURN = r"""
zone_id:
  description: Id of the zone.
  returned: success
  type: str
  sample: 023e105f4ecef8ad9ca31a8372d0c353
tls_client_auth:
  description: Value of C(tls_client_auth) before and after the run (after is predicted in check mode).
  returned: success
  type: dict
  sample: {"before": "off", "after": "on", "editable": true}
ssl_mode:
  description: The zone's SSL/TLS encryption mode (C(ssl) setting) before and after the run.
  returned: success
  type: dict
  sample: {"before": "strict", "after": "strict"}
api_calls:
  description: The API calls this run made (method, path, HTTP status).
  returned: always
  type: list
  elements: dict
  sample: [{"method": "GET", "path": "/zones/023e105f4ecef8ad9ca31a8372d0c353/settings/tls_client_auth", "status": 200}]
"""

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_api import SSL_MODES_FOR_AOP
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule


def switch(m, zone_id):
    want = "on" if m.params["state"] == "enabled" else "off"
    raise_to = m.params["raise_ssl_mode"]
    current = m.api.setting(zone_id, "tls_client_auth")
    ssl = m.api.setting(zone_id, "ssl")
    ssl_before = ssl.get("value")
    ssl_after = ssl_before
    m.result["tls_client_auth"] = dict(before=current.get("value"), after=current.get("value"), editable=current.get("editable", True))
    m.result["ssl_mode"] = dict(before=ssl_before, after=ssl_before)

    plan = []  # (setting, value) writes, in order
    if want == "on" and ssl_before not in SSL_MODES_FOR_AOP:
        if not raise_to:
            m.fail(
                "zone %s has SSL/TLS encryption mode %r; Authenticated Origin Pulls needs Full or higher "
                "(full, strict or origin_pull). Nothing was changed. Raise the mode in Cloudflare first, or set "
                "raise_ssl_mode (e.g. strict) to let this module raise it." % (zone_id, ssl_before)
            )
        if not ssl.get("editable", True):
            m.fail(
                "zone %s: the SSL mode must be raised from %r to %r, but Cloudflare reports the 'ssl' setting "
                "as not editable for this zone (plan or account restriction). Nothing was changed." % (zone_id, ssl_before, raise_to)
            )
        plan.append(("ssl", raise_to))
        ssl_after = raise_to
    if current.get("value") != want:
        if not current.get("editable", True):
            m.fail(
                "zone %s: tls_client_auth is %r and must become %r, but Cloudflare reports the setting as not "
                "editable for this zone (plan restriction: check the zone's plan). Nothing was changed." % (zone_id, current.get("value"), want)
            )
        plan.append(("tls_client_auth", want))

    if plan:
        m.result["changed"] = True
        if not m.check_mode:
            for setting, value in plan:
                answer = m.api.set_setting(zone_id, setting, value)
                if answer.get("value") != value:
                    m.fail("zone %s: Cloudflare accepted %s=%r but reports %r afterwards" % (zone_id, setting, value, answer.get("value")))
    m.result["tls_client_auth"]["after"] = want
    m.result["ssl_mode"]["after"] = ssl_after
    m.diff(dict(tls_client_auth=current.get("value"), ssl=ssl_before), dict(tls_client_auth=want, ssl=ssl_after), header="zone %s" % zone_id)


def main():
    CloudflareModule(
        dict(
            state=dict(type="str", default="enabled", choices=["enabled", "disabled"]),
            raise_ssl_mode=dict(type="str", choices=list(SSL_MODES_FOR_AOP)),
        )
    ).run(switch)


if __name__ == "__main__":
    main()
