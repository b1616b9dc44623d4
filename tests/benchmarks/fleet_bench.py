"""Benchmark: how the collection's runs cost grows with the fleet, against the connection floor.

    python tests/benchmarks/fleet_bench.py [--sizes 8,24,48] [--forks 10] [--repeat 3] [--minimal] [--json FILE]
    (make bench-fleet: sizes 8, 24, 48; make bench: 8 origins with the minimal hand-written playbook)

For each size N it starts N nginx origins (Docker, systemd; each runs only nginx), the API emulator and
the edge, and measures in one run, on the same fleet, with load through the edge the whole time:
  (a) ansible -m ansible.builtin.ping                         the connection floor
  (c) a stage change through originpulls.aop.origin, changed  (none -> optional); (d) the same, idempotent
  (e) enable_aop from scratch, the gate's wait excluded        (rollout_gate_skip=true)
  (f) enable_aop re-run on the enforced fleet
  [(b) with --minimal: the least an operator could write (copy the CA, the directives, nginx -t, reload)]
The idempotent runs (d) and (f) run --repeat times each, interleaved with as many runs of (a) (one more (a) first):
d, a, d, a, ... and f, a, f, a, ...; each counts as its median run, and the table shows the range. On a noisy
machine one sample of the floor or of a run moves a ratio by a third; the median of interleaved runs does not.
Each run is printed as a ratio to (a) of that size and in seconds per origin, with what reaches each
origin per run: tasks on the host and per-host tasks on the controller (a callback), module runs and docker exec round trips (a docker wrapper on PATH
that the connection plugin calls), the Cloudflare API calls (the emulator's log) and the failed
requests through the edge. Then the verdicts, as PASS/FAIL lines:
  flat           each ratio at the largest size within 1.2x of the same ratio at the smallest
  near the floor (d) <= 2x (a); (f) <= 3x (a), with changed=0 and no API write
  API calls      the same number per run at every size
  vs minimal     with --minimal: (c) <= 1.3x (b) changed, (d) <= 1.3x (b) idempotent, (f) <= 3x (b) idempotent
  edge           zero failed requests at every size
Ratios come from one run on one machine (not a timed test, not in CI). The fleet is removed after each
size. Container names take the prefix $AOP_FLEET (default aop-bench): <prefix>-nginx-NN, <prefix>-edge.
Exit status 1 when any verdict is FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
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
PREFIX = os.environ.get("AOP_FLEET", "aop-bench")
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
- name: Stage change through the collection's origin role
  hosts: aop_origins
  gather_facts: false
  tasks:
    - name: Put the stage in place
      ansible.builtin.include_role:
        name: originpulls.aop.origin
      vars:
        origin_stage: "{{ stage | default('optional') }}"
        origin_server: nginx
        origin_ca_source: custom
        origin_ca_path: "{{ pki }}/cf-test-ca.crt"
        origin_vhosts: [{path: /etc/nginx/sites-available/origin-test, server_name: origin.test}]
"""

# The docker CLI as the community.docker.docker connection calls it, counting each call per container.
DOCKER_WRAPPER = """#!/bin/sh
printf '%%s\\n' "$*" >> "${AOP_BENCH_DOCKER_LOG:-/dev/null}"
exec %s "$@"
"""

RUNS = [
    ("a", "(a) ansible ping (floor)"),
    ("b", "(b) minimal playbook, changed"),
    ("b_idem", "(b) minimal playbook, idempotent"),
    ("c", "(c) stage via origin role, changed"),
    ("d", "(d) stage via origin role, idempotent"),
    ("e", "(e) enable_aop, gate wait excluded"),
    ("f", "(f) enable_aop re-run, enforced"),
]
FLAT = 1.2
NEAR = {"d": 2.0, "f": 3.0}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


class Runner:
    """Runs and measures one command: seconds, changed, per-origin tasks / module runs / docker execs."""

    def __init__(self, state, origins, env):
        self.state = state
        self.origins = origins
        self.env = env

    def __call__(self, key, cmd, env=None):
        log = os.path.join(self.state, "%s.log" % key)
        docker_log = os.path.join(self.state, "%s.docker" % key)
        count_out = os.path.join(self.state, "%s.count.json" % key)
        for path in (docker_log, count_out):
            if os.path.exists(path):
                os.unlink(path)
        run_env = dict(env or self.env, AOP_BENCH_DOCKER_LOG=docker_log, AOP_BENCH_COUNT_OUT=count_out)
        t0 = time.monotonic()
        with open(log, "w") as fh:
            proc = subprocess.run(cmd, env=run_env, stdout=fh, stderr=subprocess.STDOUT, check=False)
        took = time.monotonic() - t0
        with open(log) as fh:
            out = fh.read()
        if proc.returncode != 0:
            raise SystemExit("%s failed (see %s):\n%s" % (key, log, out[-3000:]))
        changed = sum(int(n) for n in re.findall(r"changed=(\d+)", out))
        execs = modules = 0
        if os.path.exists(docker_log):
            with open(docker_log) as fh:
                for line in fh:
                    words = line.split()
                    if words[:1] == ["exec"] and any(o in words for o in self.origins):
                        execs += 1
                        modules += "python" in line
        tasks, controller, actions = None, None, {}
        if os.path.exists(count_out):
            with open(count_out) as fh:
                hosts = json.load(fh)["hosts"]
            tasks = sum(hosts.get(o, {}).get("tasks", 0) for o in self.origins) / len(self.origins)
            controller = sum(hosts.get(o, {}).get("controller", 0) for o in self.origins) / len(self.origins)
            actions = hosts.get(self.origins[0], {}).get("actions", {})
        elif key == "a":
            tasks = 1.0  # ad hoc: one module per host
        n = len(self.origins)
        return {
            "seconds": took,
            "changed": changed,
            "tasks": tasks,
            "controller_tasks": controller,
            "modules": modules / n,
            "execs": execs / n,
            "actions_first_origin": actions,
        }


def start_fleet(state, names):
    for n in names:
        sh(["docker", "run", "-d", "--name", n, "-p", "127.0.0.1::443"] + SYSTEMD + [IMAGE, "/lib/systemd/systemd"])
    sh(
        ["docker", "run", "-d", "--name", "%s-edge" % PREFIX, "--network", "host"]
        + ["-v", "%s/tests/fleet:/fleet:ro" % REPO, "-v", "%s:/fleet-state:ro" % state]
        + [IMAGE, "python3", "/fleet/edge.py", "/fleet-state/edge.json"]
    )
    sh([sys.executable, os.path.join(REPO, "tests", "origin", "pki.py"), os.path.join(state, "pki")])
    for n in names:
        # systemd finished booting (a busy machine takes a while with 48 of them), else the setup fails on the late ones
        subprocess.run(["docker", "exec", n, "systemctl", "is-system-running", "--wait"], capture_output=True, check=False, timeout=300)
    setup_inv = os.path.join(state, "setup.yml")
    hosts = {n: {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"} for n in names}
    with open(setup_inv, "w") as fh:
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
        fh.write("- hosts: aop_origins\n  gather_facts: false\n  tasks:\n    - ansible.builtin.include_tasks: %s/tests/fleet/tasks/origin-setup.yml\n" % REPO)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS="10", ANSIBLE_PIPELINING="True", PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    for attempt in (1, 2):
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", setup_inv, setup_play], env=env, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            break
        with open(os.path.join(state, "setup-%d.log" % attempt), "w") as fh:
            fh.write(proc.stdout + proc.stderr)
        fatal = "\n".join(line for line in proc.stdout.splitlines() if line.startswith(("fatal:", "failed:")))
        print("   origin setup failed (attempt %d):\n%s" % (attempt, fatal[-3000:]), flush=True)
    else:
        raise SystemExit("origin setup failed twice (see %s/setup-2.log)" % state)
    e2e.up(e2e.Fleet(state), names)


def median_run(runs):
    """The run of median seconds, with every run's seconds ("samples") and the most any run changed."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    mid = dict(ordered[len(ordered) // 2])
    mid["samples"] = [round(r["seconds"], 2) for r in runs]
    mid["changed"] = max(r["changed"] for r in runs)
    return mid


def measure(size, forks, minimal, repeat=3):
    state = tempfile.mkdtemp(prefix="aop-bench-%d-" % size)
    names = ["%s-nginx-%02d" % (PREFIX, i) for i in range(1, size + 1)]
    wrap = os.path.join(state, "bin")
    os.makedirs(wrap)
    real = shutil.which("docker")
    with open(os.path.join(wrap, "docker"), "w") as fh:
        fh.write(DOCKER_WRAPPER % real)
    os.chmod(os.path.join(wrap, "docker"), 0o755)
    env = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORKS=str(forks),
        ANSIBLE_PIPELINING="True",
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="aop_bench_count",
        PATH=wrap + os.pathsep + BIN + os.pathsep + os.environ.get("PATH", ""),
    )
    results, api, load = {}, {}, None
    try:
        print("\n== %d origins: starting them, the emulator and the edge (state: %s)" % (size, state), flush=True)
        t0 = time.monotonic()
        start_fleet(state, names)
        print("   fleet up in %.0fs" % (time.monotonic() - t0), flush=True)
        fleet = e2e.Fleet(state)
        inv = fleet.path("fleet.yml")
        pki = ["-e", "pki=%s" % fleet.pki]
        plays = {}
        for name, text in (("minimal", MINIMAL), ("undo", UNDO_MINIMAL), ("role", ROLE)):
            plays[name] = fleet.path("%s.yml" % name)
            with open(plays[name], "w") as fh:
                fh.write(text)
        playbook = [os.path.join(BIN, "ansible-playbook"), "-i", inv]
        enable = playbook + [os.path.join(REPO, "playbooks", "enable_aop.yml"), "-e", "@" + fleet.path("fleet-vars.yml")]
        enable += ["-e", "rollout_gate_skip=true", "-e", "rollout_batch_size=25%"]
        env_api = dict(env, CLOUDFLARE_API_TOKEN=fleet.token())
        run = Runner(state, names, env)
        fleet.load_start("bench-load.json")
        time.sleep(1)
        ping = [os.path.join(BIN, "ansible"), "-i", inv, "aop_origins", "-m", "ansible.builtin.ping"]
        samples = {"a": [run("a-1", ping)], "d": [], "f": []}
        if minimal:
            results["b"] = run("b", playbook + [plays["minimal"]] + pki)
            results["b_idem"] = run("b_idem", playbook + [plays["minimal"]] + pki)
            run("undo", playbook + [plays["undo"]])
        results["c"] = run("c", playbook + [plays["role"]] + pki)
        # The idempotent runs and the floor, interleaved: d, a, d, a, ... then (after e) f, a, f, a, ...
        for i in range(repeat):
            samples["d"].append(run("d-%d" % (i + 1), playbook + [plays["role"]] + pki))
            samples["a"].append(run("a-%d" % (len(samples["a"]) + 1), ping))
        run("reset", playbook + [plays["role"], "-e", "stage=off"] + pki)

        def enable_aop(name):
            before = len(fleet.emulator("GET", "/log"))
            r = run(name, enable, env_api)
            calls = fleet.emulator("GET", "/log")[before:]
            r["api"] = {"get": len([c for c in calls if c["method"] == "GET"]), "write": len([c for c in calls if c["method"] != "GET"])}
            return r

        results["e"] = enable_aop("e")
        for i in range(repeat):
            samples["f"].append(enable_aop("f-%d" % (i + 1)))
            samples["a"].append(run("a-%d" % (len(samples["a"]) + 1), ping))
        for key, runs in samples.items():
            results[key] = median_run(runs)
        for key in ("e", "f"):
            api[key] = results[key].pop("api")
            if key == "f":  # every re-run: the same reads, and no write
                api[key] = {"get": max(r["api"]["get"] for r in samples["f"]), "write": max(r["api"]["write"] for r in samples["f"])}
                api[key]["get_per_run"] = [r["api"]["get"] for r in samples["f"]]
        load = fleet.load_stop("bench-load.json", min_requests=10, raise_on_failure=False)
    finally:
        e2e.down(e2e.Fleet(state))
        subprocess.run(["docker", "rm", "-f"] + names + ["%s-edge" % PREFIX], capture_output=True, check=False)
    return {"size": size, "forks": forks, "runs": results, "api": api, "edge": {"requests": load["requests"], "failures": load["failures"]}}


def table(d):
    lines = []
    n, floor = d["size"], d["runs"]["a"]["seconds"]
    lines.append(
        "\n%d origins, forks %d, pipelining on; one run; ratios to (a), not seconds, are the result; (a), (d) and (f): the median"
        " of interleaved runs (range: fastest-slowest/runs)" % (n, d["forks"])
    )
    head = ("run", "seconds", "x (a)", "range", "s/origin", "changed", "tasks/o", "ctl/o", "modules/o", "execs/o", "API GET/write")
    lines.append("%-40s %7s %8s %11s %9s %8s %8s %6s %9s %8s  %s" % head)
    for key, label in RUNS:
        if key not in d["runs"]:
            continue
        r = d["runs"][key]
        api = d["api"].get(key)
        lines.append(
            "%-40s %7.1f %8.2f %11s %9.3f %8d %8s %6s %9.1f %8.1f  %s"
            % (
                label,
                r["seconds"],
                r["seconds"] / floor,
                "%.1f-%.1f/%d" % (min(r["samples"]), max(r["samples"]), len(r["samples"])) if r.get("samples") else "",
                r["seconds"] / n,
                r["changed"],
                "-" if r["tasks"] is None else format(r["tasks"], ".1f"),
                "-" if r.get("controller_tasks") is None else format(r["controller_tasks"], ".1f"),
                r["modules"],
                r["execs"],
                "%d/%d" % (api["get"], api["write"]) if api else "",
            )
        )
    lines.append("failed requests through the edge: %d of %d" % (d["edge"]["failures"], d["edge"]["requests"]))
    return lines


def report(sizes, data):
    lines = []
    for d in data:
        lines += table(d)
    verdicts = []
    small, large = data[0], data[-1]

    def ratio(d, key):
        return d["runs"][key]["seconds"] / d["runs"]["a"]["seconds"]

    lines.append("\nverdicts")
    if len(data) > 1:
        for key, label in RUNS[3:]:
            rs, rl = ratio(small, key), ratio(large, key)
            verdicts.append(rl <= FLAT * rs)
            lines.append(
                "%s flat %-38s x(a) %.2f at %d -> %.2f at %d (%.2fx; limit %.1fx)"
                % ("PASS" if verdicts[-1] else "FAIL", label, rs, small["size"], rl, large["size"], rl / rs, FLAT)
            )
    for d in data:
        for key, limit in NEAR.items():
            r = ratio(d, key)
            ok = r <= limit
            extra = ""
            if key == "f":
                ok = ok and d["runs"]["f"]["changed"] == 0 and d["api"]["f"]["write"] == 0
                extra = ", changed=%d, API writes %d" % (d["runs"]["f"]["changed"], d["api"]["f"]["write"])
            verdicts.append(ok)
            lines.append("%s near the floor at %2d: %-32s %.2fx (a) (limit %.1fx%s)" % ("PASS" if ok else "FAIL", d["size"], dict(RUNS)[key], r, limit, extra))
    for d in data:
        if "b" not in d["runs"]:
            continue
        # --minimal: the targets against the least an operator could write (changed vs changed, idempotent vs idempotent)
        for key, base, limit in (("c", "b", 1.3), ("d", "b_idem", 1.3), ("f", "b_idem", 3.0)):
            r = d["runs"][key]["seconds"] / d["runs"][base]["seconds"]
            verdicts.append(r <= limit)
            lines.append("%s vs minimal at %2d: %-36s %.2fx (b) (limit %.1fx)" % ("PASS" if r <= limit else "FAIL", d["size"], dict(RUNS)[key], r, limit))
    for key in ("e", "f"):
        counts = ["%d/%d" % (d["api"][key]["get"], d["api"][key]["write"]) for d in data]
        ok = len(set(counts)) == 1
        verdicts.append(ok)
        lines.append("%s API calls per run independent of size, %s: GET/write %s at %s" % ("PASS" if ok else "FAIL", dict(RUNS)[key], ", ".join(counts), sizes))
    for d in data:
        ok = d["edge"]["failures"] == 0
        verdicts.append(ok)
        edge = d["edge"]
        lines.append("%s zero failed edge requests at %d: %d of %d failed" % ("PASS" if ok else "FAIL", d["size"], edge["failures"], edge["requests"]))
    return "\n".join(lines), all(verdicts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="8,24,48", help="comma-separated fleet sizes (default 8,24,48)")
    ap.add_argument("--origins", type=int, help="a single size (the older option; same as --sizes N)")
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--minimal", action="store_true", help="also time the least an operator could write, (b)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of (d) and (f) each, interleaved with as many of (a); the median counts (default 3)")
    ap.add_argument("--json", help="write the measurements to this file too")
    args = ap.parse_args()
    sizes = [args.origins] if args.origins else sorted(int(s) for s in args.sizes.split(","))
    print("fleet benchmark: sizes %s, %d cores, container prefix %s" % (sizes, os.cpu_count(), PREFIX), flush=True)
    data = []
    for size in sizes:
        data.append(measure(size, args.forks, args.minimal, args.repeat))
        print("\n".join(table(data[-1])), flush=True)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(data, fh, indent=1)
    text, ok = report(sizes, data)
    print("\n== summary%s" % text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
