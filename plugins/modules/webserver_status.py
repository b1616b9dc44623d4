#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: webserver_status
short_description: What an origin runs, whether its config is valid, its AOP stage and its AOP log counts
version_added: 0.1.0
description:
  - One look at an origin for the rollout - which supported web server runs (detected from live master
    processes when O(server=auto)), whether its full configuration test passes, which AOP stage the
    collection's roles last put in place, and how many requests in the AOP log since O(log_since) came with a
    verified certificate, without one, or with one that failed verification.
  - The stage comes from the record that M(originpulls.aop.webserver_config) wrote on the origin once the stage was
    live (O(record_path), the local fact C(ansible_local.originpulls_aop)) when there is one; otherwise from the
    stage snippet the server's role wrote (O(stage_file)). RV(stage_source) says which.
  - A record the stage file contradicts (another stage, or a stage file changed or gone since the record listed its
    SHA-256) is stale, so the stage is V(unknown) and RV(stage_conflict) says why; running the origin role again puts
    the origin back in a known stage.
  - Changes nothing. Runs on the web server (the C(origin_tls_client_auth*) modules are the Cloudflare side).
  - Formerly named C(originpulls.aop.origin_status) and C(originpulls.aop.origin_facts) (it returns no Ansible facts);
    the old names still work, with a deprecation warning.
extends_documentation_fragment:
  - originpulls.aop._attributes.info_module
options:
  server:
    description:
      - The web server, or V(auto) to detect the one that runs.
      - Where several supported servers run (HAProxy in front of nginx, say), V(auto) takes the one the record on the
        origin names (O(record_path) - the server its origin role manages here); without a record naming one of them it fails.
    type: str
    choices: [auto, nginx, apache, haproxy, caddy, traefik]
    default: auto
  config_test:
    description: Run the server's full configuration test.
    type: bool
    default: true
  log_since:
    description:
      - Count AOP log lines at or after this time (ISO 8601, e.g. V(2026-11-28T10:00:00Z)). Empty - no counts.
    type: str
    default: ""
  log_path:
    description:
      - The AOP log. Default - where the server's role writes it.
      - HAProxy logs to its standard output, so by default its AOP lines are read from the journal
        (C(journalctl -u haproxy.service _TRANSPORT=stdout)); a O(log_path) reads a file instead.
      - Caddy and Traefik - their JSON access log (Caddy - the site's C(log) file; Traefik - the static
        configuration's C(accessLog.filePath)).
    type: path
  stage_file:
    description: The stage snippet the server's role writes. Default - its usual place. Read when there is no record.
    type: path
  record_path:
    description:
      - The record M(originpulls.aop.webserver_config) writes once a stage is live (its O(originpulls.aop.webserver_config#module:record_path)).
        Its C(stage) (and C(trusted_ca_sha256), when recorded) win over the stage file's; a record that names
        another C(server) than the one looked at is ignored.
    type: path
    default: /etc/ansible/facts.d/originpulls_aop.fact
  server_names:
    description: Count only requests to these virtual hosts (C(server=) or C(host=) field). Empty - all.
    type: list
    elements: str
    default: []
  issuer_contains:
    description: Count a verified certificate as verified only when its issuer DN contains this text.
    type: str
    default: ""
  issuer_cn:
    description:
      - Count a verified certificate as verified only when its issuer's CN is exactly this (in either DN notation
        the servers log); one from another issuer counts as C(other_issuer), not as unverified.
      - Servers that log no issuer (Caddy, Traefik) count every verified certificate as verified.
    type: str
    default: ""
  gate:
    description:
      - Judge the counts since O(log_since) against these thresholds (the rollout's verification gate) and
        return the verdict as RV(gate).
    type: dict
    suboptions:
      min_verified:
        description: Met once at least this many pulls came with a verified certificate.
        type: int
        default: 5
      max_unverified:
        description: Failed once more than this many came without a certificate.
        type: int
        default: 0
      max_failed:
        description: Failed once more than this many came with a certificate that failed verification.
        type: int
        default: 0
  wait_timeout:
    description:
      - With O(gate), look again every O(wait_interval) seconds, for at most this many seconds, while the verdict
        is V(waiting), printing one progress line per look (verified / needed, unverified, failed, time left).
      - The waiting is done on the controller by the module's action plugin, one whole module run per look. V(0) - one look.
    type: int
    default: 0
  wait_interval:
    description: Seconds between two looks while waiting (O(wait_timeout)).
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Look at the origin
  originpulls.aop.webserver_status:
    log_since: "{{ aop_toggle_time }}"
  register: origin

- name: Wait (at most 5 minutes) until 5 pulls arrived with a verified certificate, none without one
  originpulls.aop.webserver_status:
    config_test: false
    log_since: "{{ aop_toggle_time }}"
    gate:
      min_verified: 5
      max_unverified: 0
    wait_timeout: 300
  register: gate
  failed_when: gate.gate.verdict != 'met'
"""

RETURN = r"""
server:
  description: The web server.
  returned: success
  type: str
  sample: nginx
running:
  description: Whether its master process is alive.
  returned: success
  type: bool
config_ok:
  description: Whether the full configuration test passed (null when not run).
  returned: success
  type: bool
config_test_output:
  description: The test's output.
  returned: when the test ran
  type: str
stage:
  description:
    - The AOP stage in place (V(none) when the roles never ran here).
    - V(unknown) when the stage file states no stage the collection knows, or contradicts the record (RV(stage_conflict)).
  returned: success
  type: str
  sample: optional
stage_conflict:
  description: How the stage file contradicts the record (RV(stage) is then V(unknown)).
  returned: when RV(stage_source) is V(conflict)
  type: str
  sample: the record says stage require, the stage file /etc/nginx/originpulls-aop/client-auth.conf says optional
stage_source:
  description:
    - Where RV(stage) was read - V(record) (the record on the origin), V(stage_file), V(conflict) (the two disagree),
      or V(none) (neither is there).
  returned: success
  type: str
  sample: record
trusted_ca_sha256:
  description:
    - SHA-256 fingerprints of the CAs the stage in place trusts for client certificates, as the role recorded
      them; null when not recorded (the roles never ran here, or an older version wrote the stage).
  returned: success
  type: list
  elements: str
  sample: ["9A:1A:C2:B4:BE:15:F9:F2:7E:EE:20:A7:34:CB:A4:E9:89:8F:61:00:1B:3B:D7:C8:4B:69:B5:6A:3E:25:A2:B9"]
counts:
  description: AOP log counts since O(log_since) (verified, unverified, failed, total, last).
  returned: when O(log_since) is set
  type: dict
  sample: {"verified": 120, "unverified": 0, "other_issuer": 0, "failed": 0, "total": 120, "last": "2026-11-28T10:01:02+00:00"}
gate:
  description:
    - The verdict on the counts (V(met), V(failed) - too many unverified or failed pulls, V(waiting) - neither yet)
      and the thresholds it was judged against. The module never fails on the verdict; the caller decides.
  returned: when O(gate) and O(log_since) are set
  type: dict
  sample: {"verdict": "met", "thresholds": {"min_verified": 5, "max_unverified": 0, "max_failed": 0}}
looks:
  description: How many times the log was read (more than one while O(wait_timeout) waited).
  returned: success
  type: int
  sample: 3
now:
  description: The origin's clock (UTC, ISO 8601), for a later O(log_since).
  returned: success
  type: str
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._aop_log import count, parse_time, tail_lines
from ansible_collections.originpulls.aop.plugins.module_utils._origin_record import stage_of
from ansible_collections.originpulls.aop.plugins.module_utils._origin_traefik import traefik_dynamic_test
from ansible_collections.originpulls.aop.plugins.module_utils._webserver_servers import SERVERS, detect, first_existing, running


def journal_lines(module, unit, since):
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        module.fail_json(msg="%s logs to the journal, but journalctl is not here: set log_path to where its AOP lines are written" % unit)
    cmd = [journalctl, "--no-pager", "-q", "-o", "cat", "-u", unit, "_TRANSPORT=stdout", "--since", since.strftime("%Y-%m-%d %H:%M:%S UTC")]
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg="reading the journal of %s failed: %s" % (unit, (out + err).strip()))
    return out.splitlines()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            server=dict(type="str", default="auto", choices=["auto"] + sorted(SERVERS)),
            config_test=dict(type="bool", default=True),
            log_since=dict(type="str", default=""),
            log_path=dict(type="path"),
            stage_file=dict(type="path"),
            record_path=dict(type="path", default="/etc/ansible/facts.d/originpulls_aop.fact"),
            server_names=dict(type="list", elements="str", default=[]),
            issuer_contains=dict(type="str", default=""),
            issuer_cn=dict(type="str", default=""),
            gate=dict(
                type="dict",
                options=dict(
                    min_verified=dict(type="int", default=5),
                    max_unverified=dict(type="int", default=0),
                    max_failed=dict(type="int", default=0),
                ),
            ),
            wait_timeout=dict(type="int", default=0),
            wait_interval=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    p = module.params
    server = p["server"]
    if server == "auto":
        server, why = detect([name for name, spec in SERVERS.items() if running(spec)], p["record_path"])
        if server is None:
            module.fail_json(msg=why)
    spec = SERVERS[server]
    result = dict(changed=False, server=server, running=running(spec), config_ok=None)
    result["now"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    stage_file = p["stage_file"] or first_existing(spec["stage_files"])
    if p["config_test"] and server == "traefik":
        # No test command: check the dynamic file the role writes (and the CA files it names).
        rc, out = traefik_dynamic_test([stage_file] if os.path.exists(stage_file) else [])
        result["config_ok"] = rc == 0
        result["config_test_output"] = out
    elif p["config_test"]:
        cmd = next((c for c in spec["test"] if os.path.exists(c[0])), spec["test"][0])
        rc, out, err = module.run_command(cmd)
        result["config_ok"] = rc == 0
        result["config_test_output"] = (out + err).strip()

    result.update(stage_of(server, stage_file, p["record_path"]))

    if p["log_since"]:
        since = parse_time(p["log_since"])
        if since is None:
            module.fail_json(msg="log_since %r is not an ISO 8601 time such as 2026-11-28T10:00:00Z" % p["log_since"])
        if p["log_path"] or not spec.get("journal_unit"):
            log_path = p["log_path"] or first_existing(spec["logs"])
            lines = tail_lines(log_path)
        else:
            log_path = "journal:%s" % spec["journal_unit"]
            lines = journal_lines(module, spec["journal_unit"], since)
        result["counts"] = count(
            lines,
            since=since,
            server_names=p["server_names"] or None,
            issuer_contains=p["issuer_contains"] or None,
            issuer_cn_is=p["issuer_cn"] or None,
        )
        result["log_path"] = log_path
        if p["gate"]:
            result["gate"] = judge(result["counts"], p["gate"])
    module.exit_json(**result)


def judge(counts, thresholds):
    """The gate's verdict on the counts: met, failed (too many unverified or failed pulls) or waiting."""
    if counts["unverified"] > thresholds["max_unverified"] or counts["failed"] > thresholds["max_failed"]:
        verdict = "failed"
    elif counts["verified"] >= thresholds["min_verified"]:
        verdict = "met"
    else:
        verdict = "waiting"
    return dict(verdict=verdict, thresholds=dict(thresholds))


if __name__ == "__main__":
    main()
