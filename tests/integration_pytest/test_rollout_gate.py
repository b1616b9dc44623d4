"""The rollout's verification gate (roles/rollout tasks_from: gate) judged on three local 'origins', no Docker.

Each origin is this machine (connection local) with an AOP log of its own, in the nginx key=value format;
the gate counts each log through webserver_status and judges all origins at once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from helpers.ansible import ansible_env, json_document
from helpers.collection import ROOT

SINCE = 1795852800  # 2026-11-28T08:00:00Z: lines before it do not count


def line(verify, minute=1, server="origin.test"):
    return (
        "time=2026-11-28T08:%02d:00+0000 server=%s host=%s addr=203.0.113.7 status=200 verify=%s "
        's_dn="/CN=origin-pull" i_dn="/CN=Test Origin Pull CA" serial=01 proto=TLSv1.3 request="GET / HTTP/1.1"' % (minute, server, server, verify)
    )


def run_gate(tmp_path, logs, **gate_vars):
    """Run the gate over one origin per entry of ``logs`` (name -> log lines); returns the Judge task's results by host."""
    hosts = {}
    for name, lines in logs.items():
        path = tmp_path / ("%s.log" % name)
        path.write_text("\n".join(lines) + "\n")
        hosts[name] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "rollout_gate_log_path": str(path),
            "rollout_origin_server": "nginx",
        }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"aop_origins": {"hosts": hosts}}}}))
    play = [
        {
            "name": "gate",
            "hosts": "aop_origins",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "gate",
                    "ansible.builtin.include_role": {"name": "originpulls.aop.rollout", "tasks_from": "gate"},
                    "vars": dict(
                        {"rollout_gate_since_epoch": SINCE, "rollout_gate_timeout": 1, "rollout_gate_interval": 1, "rollout_gate_min_verified": 2},
                        **gate_vars,
                    ),
                }
            ],
        }
    ]
    playbook = tmp_path / "gate.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = ansible_env({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), str(playbook)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    data = json_document(proc.stdout)
    for task in data["plays"][0]["tasks"]:
        if task["task"]["name"].endswith("Judge the gate for every origin at once"):
            return task["hosts"]
    raise AssertionError("the gate never judged:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))


def judged(hosts):
    (result,) = hosts.values()  # run_once: one host carries the verdict for all
    return result


def test_the_gate_passes_when_every_origin_has_enough_verified_pulls(tmp_path):
    ok = [line("SUCCESS", 1), line("SUCCESS", 2), line("NONE", 0).replace("08:00", "07:59")]  # the NONE is before SINCE
    r = judged(run_gate(tmp_path, {"o1": ok, "o2": ok, "o3": ok}))
    assert not r.get("failed"), r
    assert r["msg"][0] == "verification gate met"
    assert any(row.split()[:5] == ["o2", "nginx", "2", "0", "0"] for row in r["msg"][1:])


OK = [line("SUCCESS", 1), line("SUCCESS", 2)]
BAD = {
    "short": ([line("SUCCESS", 1)], ["1", "0", "0"]),
    "unverified": (OK + [line("NONE", 3)], ["2", "1", "0"]),
    "failed": (OK + [line("FAILED:certificate has expired", 4)], ["2", "0", "1"]),
    "other_vhost": ([line("SUCCESS", 1), line("SUCCESS", 2, server="elsewhere.test")], ["1", "0", "0"]),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_one_origin_short_of_verified_or_with_unverified_or_failed_pulls_stops_all(tmp_path, kind):
    lines, counts = BAD[kind]
    r = judged(run_gate(tmp_path, {"good": OK, kind: lines}, origin_vhosts=[{"server_name": "origin.test"}]))
    assert r["failed"] is True
    msg = r["msg"]
    assert msg[0].startswith("verification gate not met: not moving any origin to require (thresholds: verified >= 2, unverified <= 0, failed <= 0")
    rows = {row.split()[0]: row.split()[1:5] for row in msg[1:] if row.split()[0] != "origin"}
    assert rows == {"good": ["nginx", "2", "0", "0"], kind: ["nginx"] + counts}


def test_thresholds_are_the_operators(tmp_path):
    logs = {"o1": [line("SUCCESS", 1), line("NONE", 2)]}
    assert judged(run_gate(tmp_path, logs)).get("failed") is True
    r = judged(run_gate(tmp_path, logs, rollout_gate_min_verified=1, rollout_gate_max_unverified=1))
    assert not r.get("failed"), r
