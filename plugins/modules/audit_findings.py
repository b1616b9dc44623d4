#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: audit_findings
short_description: Plan the exposure audit's direct requests and assemble its findings
version_added: 0.1.0
description:
  - The bookkeeping of the audit playbook C(originpulls.aop.audit_aop), on the controller; talks to no API and no
    origin, changes nothing.
  - Reconciles the origins found in DNS (the proxied records, as the inventory plugin C(originpulls.aop.cloudflare)
    reports them) with the operator's inventory (the C(aop_origins) group) - an origin address in DNS that no
    inventory origin has is a finding of its own (C(in_inventory=false)). Without DNS data, each inventory origin's
    served names are its hostnames, in the zone they end with.
  - Without O(zones), returns the plan - every proxied hostname of each zone (RV(zone_hostnames)) and one direct
    request per hostname x origin address and kind (RV(targets)) - without a client certificate and with a
    certificate from a CA nobody trusts, SNI = the hostname.
  - With O(zones) (what C(originpulls.aop.origin_tls_client_auth_info) read) and O(probes) (what
    C(originpulls.aop.tls_probe) answered), returns RV(findings) for C(originpulls.aop.audit_report). An origin
    whose stage file says C(require) but that served a request without a certificate (or C(optional)/C(require)
    and served a wrong-CA certificate) has drifted. An origin at C(optional) or C(require) that does not trust the
    CA of what Cloudflare presents for its hostnames (O(cas)), or that could not be observed, has a problem; the
    hostnames whose pulls it refuses that way are its C(pulls_refused) (hostname to why), which
    C(originpulls.aop.audit_report) shows as C(broken) cells.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  dns:
    description:
      - "Origin address (A/AAAA content or CNAME target) to C({zone: [hostname, ...]}), the proxied records pointing
        at it (the inventory plugin's C(cloudflare_hostnames)). Empty - the inventory origins' served names are
        used instead."
    type: dict
    default: {}
  origins:
    description:
      - The operator's inventory origins, each C(host) (inventory name), C(address) (what DNS points at),
        C(served_names), C(probe_host), C(probe_port), and C(facts) (the result of C(originpulls.aop.webserver_status),
        null when it did not run) with C(error) saying why.
    type: list
    elements: dict
    default: []
  zone_names:
    description: The zones audited (names). Hostnames of other zones are left out.
    type: list
    elements: str
    required: true
  probe_targets:
    description:
      - Origin address to C({host, port}) - where to connect for it instead of the address itself on port 443
        (or the inventory origin's probe address). For addresses the controller cannot reach as such (NAT,
        a test fleet on published ports).
    type: dict
    default: {}
  zones:
    description:
      - Per zone, C(name) and C(info) (the result of C(originpulls.aop.origin_tls_client_auth_info)), or the results
        of a loop of that module over the zone names (C(item) is the name). Omitted - plan only.
    type: list
    elements: dict
  cas:
    description:
      - The CAs the audit knows, as C(originpulls.aop.origin_pull_ca) lists them in C(certificates), each with
        C(level) V(global) (the CA of Cloudflare's shared certificate) or V(own) (your CA for zone-level and
        per-hostname AOP).
    type: list
    elements: dict
    default: []
  probes:
    description:
      - The results of C(originpulls.aop.tls_probe), each with the target's C(hostname), C(origin) and C(kind) - or
        the results of a loop of it over RV(targets) (the target is the C(item)).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Plan the direct requests
  originpulls.aop.audit_findings:
    dns: "{{ audit_dns }}"
    origins: "{{ audit_origins }}"
    zone_names: [example.com]
  register: audit_plan
  delegate_to: localhost

- name: Assemble the findings
  originpulls.aop.audit_findings:
    dns: "{{ audit_dns }}"
    origins: "{{ audit_origins }}"
    zone_names: [example.com]
    zones: "{{ audit_zone_info.results }}"  # a loop of origin_tls_client_auth_info over the zone names
    cas: "{{ audit_cas }}"
    probes: "{{ audit_probes.results }}"  # originpulls.aop.audit_probe over audit_plan.targets
  register: audit_assembled
  delegate_to: localhost
"""

RETURN = r"""
zone_hostnames:
  description: Per zone, its proxied hostnames.
  returned: always
  type: dict
  sample: {"example.com": ["api.example.com", "www.example.com"]}
targets:
  description: One direct request each - zone, hostname (SNI and Host), origin address, where to connect (connect, port), kind.
  returned: always
  type: list
  elements: dict
  sample: [{"zone": "example.com", "hostname": "www.example.com", "origin": "192.0.2.10", "connect": "192.0.2.10", "port": 443, "kind": "no_certificate"}]
findings:
  description: The findings for C(originpulls.aop.audit_report) (its data model).
  returned: when O(zones) is given
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._audit_findings import assemble, plan


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dns=dict(type="dict", default={}),
            origins=dict(type="list", elements="dict", default=[]),
            zone_names=dict(type="list", elements="str", required=True),
            probe_targets=dict(type="dict", default={}),
            zones=dict(type="list", elements="dict"),
            cas=dict(type="list", elements="dict", default=[]),
            probes=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for i, o in enumerate(p["origins"]):
        if not o.get("address"):
            module.fail_json(msg="origins[%d] (%s) has no address" % (i, o.get("host")))
    if p["zones"] is not None:
        zones = []
        for z in p["zones"]:
            if "info" in z:
                zones.append(z)
            elif z.get("failed"):
                module.fail_json(msg="reading zone %s failed: %s" % (z.get("item"), z.get("msg")))
            else:
                zones.append({"name": z.get("item") or z.get("name"), "info": z})
        p["zones"] = zones
    p["probes"] = [dict(pr, **pr["item"]) if isinstance(pr.get("item"), dict) else pr for pr in p["probes"]]
    try:
        result = plan(p["dns"], p["origins"], p["zone_names"], p["probe_targets"])
        if p["zones"] is not None:
            result["findings"] = assemble(p["dns"], p["origins"], p["zones"], p["cas"], p["probes"], p["probe_targets"])
    except (KeyError, TypeError, ValueError) as e:
        module.fail_json(msg="cannot read the audit's data: %s: %s" % (type(e).__name__, e))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
