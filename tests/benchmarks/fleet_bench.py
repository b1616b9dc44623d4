"""Benchmark: the collection's stage change and rollout against the least an operator could write.

    python tests/benchmarks/fleet_bench.py [--origins 8]        (scripts/bench.sh, make bench)

Starts N nginx origins (Docker, systemd, the local image), the API emulator and the edge, then
measures in one run, on the same fleet:
  (a) ansible -m ansible.builtin.ping                       the connection floor
  (b) a minimal hand-written playbook: copy the CA, write the directives, nginx -t, reload
      (no safety at all), changed and idempotent
  (c) the same stage change through originpulls.aop.nginx_origin, changed; (d) idempotent
  (e) enable_aop (gate wait excluded) under load through the edge; (f) its re-run on the enforced fleet
and prints each as a ratio to (a) and to (b), the API calls of each run and failed edge requests.
Ratios come from one run on one machine: the machine's noise cancels, absolute times do not matter.
Targets: (c) <= 1.3x (b) changed, (d) <= 1.3x (b) idempotent, (f) <= 3x (b) idempotent with
changed=0 and no API write, zero failed edge requests. The fleet is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "fleet"))

import e2e  # noqa: E402

BIN = os.path.dirname(sys.executable)
IMAGE = os.environ.get("AOP_ORIGIN_IMAGE", "originpulls/aop-origin:latest")
SYSTEMD = [
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--cgroupns=host",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
]

MINIMAL = """
- name: Least an operator could write (no validation, no restore, no wait)
  hosts: aop_origins
  gather_facts: false
  tasks:
    - name: Copy the CA
      ansible.builtin.copy:
        src: "{{ pki }}/cf-test-ca.crt"
        dest: /etc/nginx/minimal-ca.pem
        mode: "0644"
    - name: Write the directives
      ansible.builtin.copy:
        dest: /etc/nginx/minimal-aop.conf
        content: "ssl_client_certificate /etc/nginx/minimal-ca.pem;\\nssl_verify_client optional;\\n"
        mode: "0644"
      notify: Test and reload
    - name: Include them in the vhost
      ansible.builtin.lineinfile:
        path: /etc/nginx/sites-available/origin-test
        insertafter: "server_name origin.test;"
        line: "    include /etc/nginx/minimal-aop.conf;"
      notify: Test and reload
  handlers:
    - name: Test and reload
      ansible.builtin.shell: nginx -t && systemctl reload nginx
      changed_when: true
"""

UNDO_MINIMAL = """
- name: Undo the minimal playbook (not timed)
  hosts: aop_origins
  gather_facts: false
  tasks:
    - name: Drop the include
      ansible.builtin.lineinfile:
        path: /etc/nginx/sites-available/origin-test
        line: "    include /etc/nginx/minimal-aop.conf;"
        state: absent
    - name: Reload
      ansible.builtin.command: systemctl reload nginx
      changed_when: true
"""

ROLE = """
- name: Stage change through the collection's role
  hosts: aop_origins
  gather_facts: false
  tasks:
    - name: Stage optional
      ansible.builtin.include_role:
        name: originpulls.aop.nginx_origin
      vars:
        nginx_origin_stage: optional
        nginx_origin_ca_source: custom
        nginx_origin_ca_path: "{{ pki }}/cf-test-ca.crt"
        nginx_origin_vhosts: [{path: /etc/nginx/sites-available/origin-test, server_name: origin.test}]
"""


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def timed(cmd, env, log):
    t0 = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    took = time.monotonic() - t0
    out = open(log).read()
    if proc.returncode != 0:
        raise SystemExit("%s failed (see %s):\n%s" % (" ".join(cmd[:3]), log, out[-3000:]))
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
    return took, changed


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--origins", type=int, default=8)
    args = ap.parse_args()
    state = tempfile.mkdtemp(prefix="aop-bench-")
    names = ["aop-bench-nginx-%02d" % i for i in range(1, args.origins + 1)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    try:
        print("starting %d origins, the emulator and the edge (state: %s)" % (args.origins, state))
        for n in names:
            sh(["docker", "run", "-d", "--name", n, "-p", "127.0.0.1::443"] + SYSTEMD + [IMAGE, "/lib/systemd/systemd"])
        sh(
            [
                "docker",
                "run",
                "-d",
                "--name",
                "aop-bench-edge",
                "--network",
                "host",
                "-v",
                "%s/tests/fleet:/fleet:ro" % REPO,
                "-v",
                "%s:/fleet-state:ro" % state,
            ]
            + [IMAGE, "python3", "/fleet/edge.py", "/fleet-state/edge.json"]
        )
        sh([sys.executable, os.path.join(REPO, "tests", "origin", "pki.py"), os.path.join(state, "pki")])
        setup_inv = os.path.join(state, "setup.yml")
        with open(setup_inv, "w") as fh:
            hosts = {n: {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"} for n in names}
            json.dump(
                {
                    "all": {
                        "children": {"aop_origins": {"hosts": hosts}},
                        "vars": {
                            "aop_test_pki": os.path.join(state, "pki"),
                            "aop_test_server": "nginx",
                            "aop_test_vhost": "/etc/nginx/sites-available/origin-test",
                            "aop_test_repo": REPO,
                        },
                    }
                },
                fh,
            )
        setup_play = os.path.join(state, "setup-play.yml")
        with open(setup_play, "w") as fh:
            fh.write(
                "- hosts: aop_origins\n  gather_facts: false\n  tasks:\n    - ansible.builtin.include_tasks: %s/tests/fleet/tasks/origin-setup.yml\n" % REPO
            )
        timed([os.path.join(BIN, "ansible-playbook"), "-i", setup_inv, setup_play], env, os.path.join(state, "setup.log"))
        e2e.up(e2e.Fleet(state), names)
        fleet = e2e.Fleet(state)
        inv = fleet.path("fleet.yml")
        pki = ["-e", "pki=%s" % fleet.pki]
        plays = {}
        for name, text in (("minimal", MINIMAL), ("undo", UNDO_MINIMAL), ("role", ROLE)):
            plays[name] = fleet.path("%s.yml" % name)
            with open(plays[name], "w") as fh:
                fh.write(text)
        playbook = [os.path.join(BIN, "ansible-playbook"), "-i", inv]
        env_api = dict(env, CLOUDFLARE_API_TOKEN=fleet.token())
        results = {}
        results["a"] = timed([os.path.join(BIN, "ansible"), "-i", inv, "aop_origins", "-m", "ansible.builtin.ping"], env, fleet.path("a.log"))
        results["b"] = timed(playbook + [plays["minimal"]] + pki, env, fleet.path("b.log"))
        results["b_idem"] = timed(playbook + [plays["minimal"]] + pki, env, fleet.path("b2.log"))
        timed(playbook + [plays["undo"]], env, fleet.path("undo.log"))
        results["c"] = timed(playbook + [plays["role"]] + pki, env, fleet.path("c.log"))
        results["d"] = timed(playbook + [plays["role"]] + pki, env, fleet.path("d.log"))
        api = {}
        fleet.load_start("bench-load.json")
        for key in ("e", "f"):
            before = len(fleet.emulator("GET", "/log"))
            results[key] = timed(
                playbook
                + [
                    os.path.join(REPO, "playbooks", "enable_aop.yml"),
                    "-e",
                    "@" + fleet.path("fleet-vars.yml"),
                    "-e",
                    "rollout_gate_skip=true",
                    "-e",
                    "rollout_batch_size=25%",
                ],
                env_api,
                fleet.path("%s.log" % key),
            )
            calls = fleet.emulator("GET", "/log")[before:]
            api[key] = (len([c for c in calls if c["method"] == "GET"]), len([c for c in calls if c["method"] != "GET"]))
        load = fleet.load_stop("bench-load.json", min_requests=10)
    finally:
        e2e.down(e2e.Fleet(state))
        subprocess.run(["docker", "rm", "-f"] + names + ["aop-bench-edge"], capture_output=True, check=False)
    a, b, bi = results["a"][0], results["b"][0], results["b_idem"][0]
    rows = [
        ("(a) ansible ping", "a", None),
        ("(b) minimal playbook, changed", "b", b),
        ("(b) minimal playbook, idempotent", "b_idem", bi),
        ("(c) role stage change, changed", "c", b),
        ("(d) role stage change, idempotent", "d", bi),
        ("(e) enable_aop, gate excluded", "e", None),
        ("(f) enable_aop re-run, enforced", "f", bi),
    ]
    print("\n%d origins; one run; ratios, not seconds, are the result" % args.origins)
    print("%-36s %8s %8s %10s %8s  %s" % ("run", "x (a)", "x (b)", "target", "changed", "API GET/write"))
    targets = {"c": 1.3, "d": 1.3, "f": 3.0}
    verdicts = []
    for label, key, base in rows:
        took, changed = results[key]
        ratio_b = took / base if base else None
        target = targets.get(key)
        ok = target is None or ratio_b <= target
        if key == "f":
            ok = ok and changed == 0 and api["f"][1] == 0
        verdicts.append(ok)
        ratio_text = "-" if ratio_b is None else format(ratio_b, ".2f")
        target_text = "" if target is None else "<= " + format(target, ".1f") + "x (b)"
        print(
            "%-36s %8.2f %8s %10s %8d  %s %s"
            % (
                label,
                took / a,
                ratio_text,
                target_text,
                changed,
                "%d/%d" % api[key] if key in api else "",
                "" if ok else "  OVER TARGET",
            )
        )
    print("failed requests through the edge during (e) and (f): %d of %d" % (load["failures"], load["requests"]))
    return 0 if all(verdicts) and load["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
