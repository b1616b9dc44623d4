#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_guard
short_description: Refuse a Cloudflare AOP switch that would leave an origin requiring a certificate it is not sent
version_added: 0.1.0
description:
  - The safety check that the rollout runs right before it changes what Cloudflare presents to the origins
    (global C(tls_client_auth), zone-level AOP and its certificates, per-hostname bindings).
  - "The invariant it holds: for every origin at C(require), the AOP level that applies to its hostnames
    presents a certificate from a CA that origin trusts (precedence per-hostname > zone-level > global; a
    hostname whose binding is disabled gets no certificate); and for every origin at C(optional), a certificate
    that is presented comes from a CA it trusts, because C(optional) verifies a presented certificate and
    refuses one it cannot verify (nginx answers 400, the other servers fail the handshake)."
  - Works out what Cloudflare presents now (from O(view)) and after the switch, and when that changes, checks
    every host of the rollout group, the whole inventory group and not only the hosts of this run's play or
    Limit. A host at C(require), or at C(optional) while a certificate is presented, that would not trust
    what is presented afterwards is unsafe; a host that was
    not observed in this run (unreachable, outside the Limit and not observable) is unknown. Either fails the
    task, before anything changes, unless O(force=true).
  - Changes nothing and talks to no API; runs on the controller.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  view:
    description: What Cloudflare presents now - the result of M(originpulls.aop.origin_tls_client_auth_info).
    type: dict
    required: true
  level:
    description: Which AOP the rollout switches.
    type: str
    choices: [global, zone, hostname]
    required: true
  target:
    description:
      - V(enabled) - our certificate is presented at O(level) (for V(global), Cloudflare's shared one).
      - V(disabled) - that level stops presenting.
      - V(retire) - zone-level certificates other than ours are deleted.
      - V(current) - nothing switches; judge what Cloudflare presents now against O(observed), the stage and CAs
        that origins are about to have (the check before origins go to C(optional) or C(require), or change the
        CAs they trust). Hosts of O(hosts) without an entry in O(observed) are unknown.
    type: str
    choices: [enabled, disabled, retire, current]
    required: true
  hostnames:
    description: The hostnames of per-hostname AOP (O(level=hostname)).
    type: list
    elements: str
    default: []
  served_hostnames:
    description:
      - Hostnames the origins of the group serve. For global and zone-level AOP each is judged besides the zone's
        default, since a per-hostname binding overrides the default for it (a disabled binding gets no certificate).
        O(view) must hold their bindings (M(originpulls.aop.origin_tls_client_auth_info) O(hostnames)).
    type: list
    elements: str
    default: []
  ca_sha256:
    description:
      - SHA-256 fingerprints of the CA that issued the certificate presented at O(level) after the switch
        (for O(level=global), the CA you declare issued Cloudflare's shared certificate; empty - Cloudflare's
        origin-pull CA, which is what it is outside tests).
      - Cloudflare's shared certificate is attributed to Cloudflare's origin-pull CA at the other levels.
    type: list
    elements: str
    default: []
  ca_subjects:
    description:
      - Subject DNs of the CAs the rollout knows (fingerprint to DN), to attribute a presented certificate that is
        not ours (for example the previous one during a rotation) to its CA by its issuer. A certificate whose issuer
        matches none, or several, counts as from an unknown CA.
    type: dict
    default: {}
  hosts:
    description: Every host of the rollout group.
    type: list
    elements: str
    required: true
  observed:
    description:
      - Hosts observed in this run - host name to a dict with C(stage) and C(trusted_ca_sha256) (a list, or
        null when not recorded), as M(originpulls.aop.webserver_status) returns them, and optionally its
        C(stage_conflict) (why the stage is unknown, given in the refusal).
    type: dict
    default: {}
  unreachable:
    description: Hosts that could not be observed, with why.
    type: dict
    default: {}
  force:
    description: Switch even when origins would reject pulls or could not be checked (a warning says which).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse to turn global AOP off while an origin still requires the certificate
  originpulls.aop.rollout_guard:
    view: "{{ cloudflare_now }}"
    level: global
    target: disabled
    hosts: "{{ query('ansible.builtin.inventory_hostnames', 'aop_origins') }}"
    observed: "{{ dict(seen | map(attribute='host') | zip(seen)) }}"
"""

RETURN = r"""
changes:
  description: Whether what Cloudflare presents changes at all (when it does not, no origin is checked).
  returned: always
  type: bool
before:
  description:
    - "The AOP level presented now, per hostname in scope (for global and zone-level, the zone's default first,
      then C(<hostname>: <level>) for each served hostname)."
  returned: always
  type: list
  elements: str
after:
  description: The AOP level presented after the switch.
  returned: always
  type: list
  elements: str
unsafe:
  description: Hosts at C(require) or C(optional) that would reject pulls after the switch, with why.
  returned: always
  type: dict
unknown:
  description: Hosts of the group that were not observed in this run, with why.
  returned: always
  type: dict
allowed:
  description: Whether the switch may go ahead.
  returned: always
  type: bool
forced:
  description: Whether it goes ahead only because of O(force).
  returned: always
  type: bool
message:
  description: The decision in words.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._rollout_guard import after_change, judge, view_state
from ansible_collections.originpulls.aop.plugins.module_utils._x509 import CLOUDFLARE_AOP_CA_SHA256


def main():
    module = AnsibleModule(
        argument_spec=dict(
            view=dict(type="dict", required=True),
            level=dict(type="str", required=True, choices=["global", "zone", "hostname"]),
            target=dict(type="str", required=True, choices=["enabled", "disabled", "retire", "current"]),
            ca_subjects=dict(type="dict", default={}),
            hostnames=dict(type="list", elements="str", default=[]),
            served_hostnames=dict(type="list", elements="str", default=[]),
            ca_sha256=dict(type="list", elements="str", default=[]),
            hosts=dict(type="list", elements="str", required=True),
            observed=dict(type="dict", default={}),
            unreachable=dict(type="dict", default={}),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["level"] == "hostname" and not p["hostnames"]:
        module.fail_json(msg="level=hostname needs the hostnames of per-hostname AOP (rollout_hostnames)")
    if p["target"] == "retire" and p["level"] != "zone":
        module.fail_json(msg="target=retire applies to zone-level certificates only (level=zone)")
    before = view_state(p["view"])
    current = p["target"] == "current"
    after = before if current else after_change(before, p["level"], p["target"], p["hostnames"])
    verdict = judge(
        p["hosts"],
        p["observed"],
        before,
        after,
        ours_ca=p["ca_sha256"],
        cloudflare_ca=p["ca_sha256"] if p["level"] == "global" and p["ca_sha256"] else [CLOUDFLARE_AOP_CA_SHA256],
        force=p["force"],
        unreachable=p["unreachable"],
        hostnames=p["hostnames"],
        level=p["level"],
        ca_subjects=p["ca_subjects"],
        current=current,
        served=p["served_hostnames"],
    )
    if not verdict["allowed"]:
        module.fail_json(msg=verdict["message"], changed=False, **{k: v for k, v in verdict.items() if k != "message"})
    if verdict["forced"]:
        module.warn(verdict["message"])
    module.exit_json(changed=False, **verdict)


if __name__ == "__main__":
    main()
