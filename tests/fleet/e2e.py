"""End-to-end driver for the fleet of the Molecule scenario 'rollout' (and the demo).

    python tests/fleet/e2e.py up      --state DIR --origins a,b,c,d   start the emulator, configure the edge, write the inventory
    python tests/fleet/e2e.py enable  --state DIR                     enable_aop under load through the edge; prove enforcement
    python tests/fleet/e2e.py verify  --state DIR                     idempotence, failure cases, disable_aop under load
    python tests/fleet/e2e.py disable --state DIR                     disable_aop under load (the demo's second command)
    python tests/fleet/e2e.py zone    --state DIR                     zone-level AOP: enable, rotate, disable under load
    python tests/fleet/e2e.py audit   --state DIR                     exposure audit: two zones' DNS on the fleet, findings, then clean
    python tests/fleet/e2e.py phases  --state DIR                     the AWX workflow's phases as separate runs on --limit slices (relaxed fleet)
    python tests/fleet/e2e.py audit-run --state DIR                   run audit_aop once on the fleet as it is (the demo, the benchmark)
    python tests/fleet/e2e.py down    --state DIR                     stop the emulator and any load generator

    enable/disable --runner ee --ee-image IMAGE    the same run and checks, the playbook run by ansible-runner
                                                   inside the execution environment IMAGE (scripts/build-ee.sh)

Everything it talks to is on 127.0.0.1 (the emulator, the edge on the host network, the origins'
published ports) or inside the test's own containers (docker exec). Each step prints what it checks
and raises on the first mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "origin"))
sys.path.insert(0, os.path.join(REPO, "tests"))

import wire  # noqa: E402
from probe import request  # noqa: E402

from helpers.local_server import free_port  # noqa: E402

ZONE = "example.com"
# The origins of the fleet, by the server in their container name (aop-fleet-<server>-<n>): the operator's TLS
# virtual host as the inventory names it.
SERVERS = {
    "nginx": {"vhosts": [{"path": "/etc/nginx/sites-available/origin-test", "server_name": "origin.test"}]},
    "apache": {"vhosts": [{"path": "/etc/apache2/sites-available/origin-test.conf", "server_name": "origin.test"}]},
    "haproxy": {"vhosts": [{"path": "/etc/haproxy/haproxy.cfg", "server_name": "fe_origin"}]},
    "caddy": {"vhosts": [{"path": "/etc/caddy/Caddyfile", "server_name": "origin.test"}]},
    "traefik": {"vhosts": [{"server_name": "origin.test"}]},
}
# What webserver_config recorded on an origin once its stage was live (the local fact ansible_local.originpulls_aop):
# the stage and the CAs it trusts, read as the collection itself reads them.
RECORD = "/etc/ansible/facts.d/originpulls_aop.fact"


def server_of(container):
    return next(kind for kind in SERVERS if "-%s-" % kind in container)


BIN = os.path.dirname(sys.executable)


class Fleet:
    def __init__(self, state, runner="host", ee_image=None):
        self.state = os.path.abspath(state)
        self.pki = os.path.join(self.state, "pki")
        self.runner = runner
        self.ee_image = ee_image
        if runner == "ee" and not ee_image:
            raise SystemExit("--runner ee needs --ee-image (scripts/build-ee.sh prints it)")

    def path(self, name):
        return os.path.join(self.state, name)

    def load_json(self, name):
        with open(self.path(name)) as fh:
            return json.load(fh)

    @property
    def info(self):
        return self.load_json("fleet.json")

    # --------------------------------------------------------------- emulator
    def emulator(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.info["emulator_control"] + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def zone_state(self):
        state = self.emulator("GET", "/state")
        return next(z for z in state.values() if z["name"] == ZONE)

    def tls_client_auth(self):
        return self.zone_state()["settings"]["tls_client_auth"]["value"]

    # ----------------------------------------------------------------- origins
    def record(self, origin):
        """The origin's record (stage, trusted_ca_sha256, ...); {} when there is none (stage none or absent)."""
        out = subprocess.run(["docker", "exec", origin, "cat", RECORD], capture_output=True, text=True, check=False).stdout
        try:
            doc = json.loads(out)
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def stage(self, origin):
        return self.record(origin).get("stage", "none")

    def stages(self):
        return {o: self.stage(o) for o in self.info["origins"]}

    def direct(self, origin, case):
        return request(self.info["origins"][origin]["port"], self.pki, case, "1.3")[0]

    def through_edge(self, origin, with_level=False):
        with socket.create_connection(("127.0.0.1", self.info["edge_port"]), timeout=10) as sock:
            data = wire.get(sock, "/%s/aop-check" % origin, "edge.test")
        status = wire.status(data)
        if with_level:
            level = re.search(rb"X-Edge-AOP: (\w+)", data)
            return status, level.group(1).decode() if level else None
        return status

    # -------------------------------------------------------------- playbooks
    def playbook(self, name, *extra, expect_ok=True, label=None, inventory="fleet.yml"):
        label = label or name
        log = self.path("run-%s.log" % re.sub(r"\W+", "-", label))
        started = time.time()
        rc, out = self.run_playbook(name, extra, inventory, log)
        print("  ansible-playbook %s %s -> rc=%d in %.0fs (log: %s)" % (name, " ".join(extra), rc, time.time() - started, log))
        if expect_ok is True and rc != 0:
            raise AssertionError("%s failed:\n%s" % (label, out[-6000:]))
        if expect_ok is False and rc == 0:
            raise AssertionError("%s was expected to fail but passed:\n%s" % (label, out[-3000:]))
        return out

    def run_playbook(self, name, extra, inventory, log, during=None):
        """Run a playbook, optionally calling ``during(proc)`` while it runs; returns (rc, output)."""
        if self.runner == "ee":
            cmd, env = self.ee_command(name, extra, inventory)
        else:
            env = dict(os.environ, CLOUDFLARE_API_TOKEN=self.token(), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
            # Every origin at once (the fleet has 7; the default of 5 forks runs each task twice), and no
            # module file copies into the containers.
            env.update(ANSIBLE_FORKS="10", ANSIBLE_PIPELINING="True")
            env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
            cmd = [os.path.join(BIN, "ansible-playbook"), "-i", self.path(inventory), os.path.join(REPO, "playbooks", name)]
            cmd += ["-e", "@" + self.path("fleet-vars.yml")] + list(extra)
        with open(log, "w") as fh:
            # Its own process group, so that a test can kill it (and its workers) as a killed controller would be.
            proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
            follower = None
            if os.environ.get("AOP_PROGRESS"):
                follower = threading.Thread(target=follow, args=(log, proc), daemon=True)
                follower.start()
            if during is not None:
                during(proc)
            rc = proc.wait(timeout=900)
            if follower is not None:
                follower.join(timeout=5)
        with open(log) as fh:
            return rc, fh.read()

    def ee_command(self, name, extra, inventory):
        """ansible-runner, container isolation: the playbook of the collection installed in the execution
        environment (not this checkout's), as AWX runs a job.

        The container gets the host network (the emulator, the edge and the origins' published ports are
        on 127.0.0.1), the Docker socket (the origins are containers: the inventory's connection becomes
        community.docker.docker_api, which needs no docker CLI), and the fleet state at the same path
        (inventory, variables, test CA, run report). The token goes in the runner's env/envvars, as an AWX
        credential injects it; ansible-runner hands it to the container by name (--env-file), never on a
        command line.
        """
        private = self.path("ee-runner")
        os.makedirs(os.path.join(private, "env"), exist_ok=True)
        envvars = os.path.join(private, "env", "envvars")
        fd = os.open(envvars, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(
                {
                    "CLOUDFLARE_API_TOKEN": self.token(),
                    "ANSIBLE_FORKS": "10",
                    "ANSIBLE_PIPELINING": "True",
                    "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_FORCE_COLOR": "0",
                },
                fh,
            )
        with open(self.path(inventory)) as fh:
            inv = json.load(fh)
        for group in inv["all"]["children"].values():
            for host in group.get("hosts", {}).values():
                if host.get("ansible_connection") == "community.docker.docker":
                    host["ansible_connection"] = "community.docker.docker_api"
        # The runner's own inventory directory (/runner/inventory in the container), as AWX writes it.
        inventory_dir = os.path.join(private, "inventory")
        shutil.rmtree(inventory_dir, ignore_errors=True)
        os.makedirs(inventory_dir)
        with open(os.path.join(inventory_dir, "hosts.json"), "w") as fh:
            json.dump(inv, fh, indent=1)
        cmdline = ["-e", "@" + self.path("fleet-vars.yml")] + list(extra)
        # The fleet state at the path the variables name (molecule's ephemeral directory, which --state
        # may reach through a symbolic link: both paths).
        real = os.path.realpath(self.state)
        mounts = ["--container-volume-mount", "%s:%s" % (real, real)]
        if real != self.state:
            mounts += ["--container-volume-mount", "%s:%s" % (real, self.state)]
        cmd = [
            os.path.join(BIN, "ansible-runner"),
            "run",
            private,
            "--playbook",
            "originpulls.aop." + name.rsplit(".", 1)[0],
            # One argument with '=': its value starts with '-'.
            "--cmdline=" + " ".join(shlex.quote(a) for a in cmdline),
            "--process-isolation",
            "--process-isolation-executable",
            "docker",
            "--container-image",
            self.ee_image,
            *mounts,
            "--container-volume-mount",
            "/var/run/docker.sock:/var/run/docker.sock",
            "--container-option=--network=host",
            "--rotate-artifacts",
            "3",
        ]
        env = {k: v for k, v in os.environ.items() if k != "CLOUDFLARE_API_TOKEN"}
        env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
        return cmd, env

    def token(self):
        with open(self.path("token")) as fh:
            return fh.read().strip()

    # -------------------------------------------------------------------- load
    def load_start(self, name):
        args = ["--edge=127.0.0.1:%d/%s" % (self.info["edge_port"], o) for o in self.info["origins"]]
        subprocess.run(
            [sys.executable, os.path.join(REPO, "tests", "origin", "load.py"), "start", "--out", self.path(name), "--pki", self.pki, "--interval", "0.02"]
            + args,
            check=True,
        )

    def load_stop(self, name, min_requests=100, expect_down=None, raise_on_failure=True):
        """Stop the load; raise on any failed request (except to the origin ``expect_down``, taken down on purpose)."""
        proc = subprocess.run(
            [sys.executable, os.path.join(REPO, "tests", "origin", "load.py"), "stop", "--out", self.path(name), "--min-requests", str(min_requests)],
            capture_output=True,
            text=True,
            check=False,
        )
        summary = json.loads(proc.stdout[proc.stdout.index("{") : proc.stdout.rindex("}") + 1])
        print("  load through the edge: %d requests, %d failed" % (summary["requests"], summary["failures"]))
        if summary["requests"] < min_requests:
            raise AssertionError("the load generator sent only %d requests:\n%s" % (summary["requests"], proc.stdout))
        failed = {k: v for k, v in summary["by_target"].items() if v["failures"] and not (expect_down and k.endswith("/" + expect_down + "/aop-load"))}
        if failed and raise_on_failure:
            raise AssertionError("requests through the edge failed:\n%s" % proc.stdout)
        return summary


PROGRESS = re.compile(r"^PLAY \[(?P<play>.*?)\]|^\s+(?P<wait>(gate|certificate) \[.*)|^(?P<fatal>fatal: .{0,300})")


def follow(log, proc):
    """Print the run's progress from its log while it runs: each play, each waiting line, each failure."""
    with open(log) as fh:
        while True:
            line = fh.readline()
            if not line:
                if proc.poll() is not None:
                    return
                time.sleep(0.3)
                continue
            m = PROGRESS.match(line)
            if m and m.group("play"):
                print("    > %s" % m.group("play"), flush=True)
            elif m:
                print("      %s" % (m.group("wait") or m.group("fatal")).strip(), flush=True)


def edge_answers(fleet, attempts=100):
    for _attempt in range(attempts):
        try:
            fleet.through_edge(next(iter(fleet.info["origins"])))
            return True
        except OSError:
            time.sleep(0.2)
    return False


def wait_for_edge(fleet, origins):
    """The edge stand-in (a container on the host network) answers, or the fleet is not up: say why, don't go on."""
    if edge_answers(fleet):
        return
    edge = origins[0].rsplit("-", 2)[0] + "-edge"
    fmt = "{{.State.Status}} (exit {{.State.ExitCode}})"
    state = subprocess.run(["docker", "inspect", "-f", fmt, edge], check=False, capture_output=True, text=True).stdout.strip()
    logs = subprocess.run(["docker", "logs", "--tail", "30", edge], check=False, capture_output=True, text=True)
    print("  the edge %s did not answer on 127.0.0.1:%d: %s\n%s%s" % (edge, fleet.info["edge_port"], state or "no such container", logs.stdout, logs.stderr))
    # It waits for edge.json, then binds its port: restarted once, it reads the config again.
    subprocess.run(["docker", "restart", edge], check=False, capture_output=True, text=True)
    if edge_answers(fleet, attempts=150):
        print("  the edge answers after a restart")
        return
    raise AssertionError("the edge stand-in %s never answered on 127.0.0.1:%d (%s)" % (edge, fleet.info["edge_port"], state or "no such container"))


def check(cond, what):
    print("  %s %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        raise AssertionError(what)


# ------------------------------------------------------------------- commands
def up(fleet, origins, link=False):
    os.makedirs(fleet.state, exist_ok=True)
    if link:
        # A stable name for the scenario's fleet (make demo-disable / demo-enable find it there).
        path = os.path.join(REPO, ".cache", "fleet-state")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.islink(path) or os.path.exists(path):
            os.unlink(path)
        os.symlink(fleet.state, path)
    token_path = fleet.path("token")
    if not os.path.exists(token_path):
        fd = os.open(token_path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("e2e-" + secrets.token_hex(16))
    url_file = fleet.path("emulator.url")
    if os.path.exists(url_file):
        os.unlink(url_file)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "tests"), AOP_E2E_TOKEN=open(token_path).read().strip())
    proc = subprocess.Popen(
        [sys.executable, "-m", "cf_emulator", "--zone", ZONE, "--token-env", "AOP_E2E_TOKEN", "--url-file", url_file, "--lifetime", "7200"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=open(fleet.path("emulator.log"), "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with open(fleet.path("emulator.pid"), "w") as fh:
        fh.write(str(proc.pid))
    for _attempt in range(100):
        if os.path.exists(url_file):
            break
        time.sleep(0.1)
    api_url = open(url_file).read().strip()
    info = {"api_url": api_url, "emulator_control": api_url.replace("/client/v4", "/__emulator__"), "origins": {}, "edge_port": free_port()}
    for name in origins:
        port = subprocess.run(["docker", "port", name, "443/tcp"], capture_output=True, text=True, check=True).stdout.split()[0].rsplit(":", 1)[1]
        info["origins"][name] = {"port": int(port), "server": server_of(name), "server_name": "origin.test"}
    with open(fleet.path("fleet.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    edge = {
        "listen_port": info["edge_port"],
        "emulator": info["emulator_control"].replace("/__emulator__", ""),
        "zone": ZONE,
        "client_cert": "/fleet-state/pki/client-good.crt",
        "client_key": "/fleet-state/pki/client-good.key",
        "lifetime": 7200,
        "origins": {n: {"port": o["port"], "server_name": "origin.test"} for n, o in info["origins"].items()},
    }
    with open(fleet.path("edge.json.tmp"), "w") as fh:
        json.dump(edge, fh, indent=1)
    os.replace(fleet.path("edge.json.tmp"), fleet.path("edge.json"))
    hosts = {}
    for name, o in info["origins"].items():
        hosts[name] = {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3",
            # No origin_server: the rollout detects each origin's server.
            "origin_vhosts": SERVERS[o["server"]]["vhosts"],
            "rollout_probe_host": "127.0.0.1",
            "rollout_probe_port": o["port"],
            "rollout_probe_server_name": "origin.test",
        }
    inventory = {"all": {"children": {"aop_origins": {"hosts": hosts}}}}
    with open(fleet.path("fleet.yml"), "w") as fh:
        json.dump(inventory, fh, indent=1)  # JSON is YAML
    fleet_vars = {
        "rollout_zone": ZONE,
        "rollout_api_url": api_url,
        "rollout_ca_source": "custom",
        "rollout_ca_path": os.path.join(fleet.pki, "cf-test-ca.crt"),
        "rollout_batch_size": 3,
        "rollout_canary_size": 1,
        "rollout_gate_min_verified": 3,
        "rollout_gate_grace": 1,
        "rollout_gate_interval": 1,
        "rollout_gate_timeout": 60,
        "rollout_api_retry_max_total": 20,
    }
    with open(fleet.path("fleet-vars.yml"), "w") as fh:
        json.dump(fleet_vars, fh, indent=1)
    wait_for_edge(fleet, origins)
    print("emulator %s; edge 127.0.0.1:%d; origins %s" % (api_url, info["edge_port"], ", ".join("%s:%d" % (n, o["port"]) for n, o in info["origins"].items())))


def enable(fleet):
    print("enable_aop under load through the edge")
    fleet.load_start("load-enable.json")
    time.sleep(1)
    report = fleet.path("report-enable.json")
    try:
        out = fleet.playbook("enable_aop.yml", "-e", "rollout_report_path=%s" % report)
    finally:
        fleet.load_stop("load-enable.json")
    with open(report) as fh:
        rep = json.load(fh)
    check(
        rep["level"] == "global"
        and rep["cloudflare"]["tls_client_auth"] == "on"
        and set(rep["origins"]) == set(fleet.info["origins"])
        and all(o["stage"] == "require" and o["direct_request"]["refused"] for o in rep["origins"].values()),
        "the JSON run report says every origin requires and refused the direct request, Cloudflare on",
    )
    names = tuple('"%s' % n for n in fleet.info["origins"])
    print("\n".join(line for line in out.splitlines() if line.strip().startswith(('"origin', '"cloudflare') + names)))
    check(fleet.tls_client_auth() == "on", "Cloudflare tls_client_auth is on")
    check(set(fleet.stages().values()) == {"require"}, "every origin is at require: %s" % fleet.stages())
    for origin in fleet.info["origins"]:
        for case in ("none", "wrong", "self"):
            outcome = fleet.direct(origin, case)
            check(outcome in ("tls", 400), "%s refuses a direct request with %s certificate (%s)" % (origin, case, outcome))
        check(fleet.direct(origin, "good") == 200, "%s serves a request with the valid certificate" % origin)
        check(fleet.through_edge(origin) == 200, "%s serves through the edge" % origin)


def disable(fleet):
    print("disable_aop under load through the edge")
    fleet.load_start("load-disable.json")
    time.sleep(1)
    try:
        fleet.playbook("disable_aop.yml")
    finally:
        fleet.load_stop("load-disable.json")
    check(fleet.tls_client_auth() == "off", "Cloudflare tls_client_auth is off")
    check(set(fleet.stages().values()) == {"optional"}, "every origin relaxed to optional: %s" % fleet.stages())
    for origin in fleet.info["origins"]:
        check(fleet.direct(origin, "none") == 200, "%s serves a direct request without a certificate" % origin)
        check(fleet.through_edge(origin) == 200, "%s serves through the edge" % origin)


def all_serving(fleet):
    for origin in fleet.info["origins"]:
        check(fleet.through_edge(origin) == 200, "%s still serves through the edge" % origin)


# The end-to-end checks after converge, in the order they run: each step starts from the fleet the
# previous one leaves. tests/fleet/test_fleet.py runs each as its own pytest case (one fleet, a failure
# does not hide the steps after it); `e2e.py verify` runs them in a row and stops at the first failure.
def step_safety_enforced(fleet):
    print("safety matrix on the enforced fleet: operator inputs that must not switch Cloudflare off under origins at require")
    safety_enforced_global(fleet)


def step_safety_relaxed(fleet):
    safety_relaxed_global(fleet)


def step_enable_again(fleet):
    print("enable_aop again on the enforced fleet: recognised in preflight, no change, no API write")
    before = len(fleet.emulator("GET", "/log"))
    out = fleet.playbook("enable_aop.yml", label="enable-again")
    writes = [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"]
    changed = [int(n) for n in re.findall(r"changed=(\d+)", out)]
    check(sum(changed) == 0, "second run reports changed=0 (%s)" % changed)
    check(writes == [], "second run made no API write")


def step_disable(fleet):
    disable(fleet)


def step_enable_check_relaxed(fleet):
    print("enable_aop --check on the relaxed fleet: reports what it would change, writes nothing")
    before = len(fleet.emulator("GET", "/log"))
    fleet.playbook("enable_aop.yml", "--check", label="enable-check-relaxed")
    writes = [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"]
    check(writes == [], "no API write in check mode")
    check(fleet.tls_client_auth() == "off" and set(fleet.stages().values()) == {"optional"}, "Cloudflare and origins unchanged")


def step_wrong_order(fleet):
    print("wrong order: require while Cloudflare does not present a certificate")
    out = fleet.playbook("enable_aop.yml", "--tags", "require", expect_ok=False, label="wrong-order")
    check("refusing to let these origins require" in out, "refused with a clear message")
    check(set(fleet.stages().values()) == {"optional"}, "no origin enforces")
    all_serving(fleet)


def step_broken_config(fleet):
    print("a broken origin config stops the rollout in preflight; nothing is enforced anywhere")
    victim = [o for o in fleet.info["origins"] if "apache" in o][-1]
    subprocess.run(
        [
            "docker",
            "exec",
            victim,
            "sed",
            "-i",
            "s/ServerName origin.test/ServerName origin.test\\n    BogusDirective on/",
            "/etc/apache2/sites-available/origin-test.conf",
        ],
        check=True,
    )
    try:
        out = fleet.playbook("enable_aop.yml", expect_ok=False, label="broken-config")
        check("BogusDirective" in out, "the failure names the server's own error")
        check(fleet.tls_client_auth() == "off", "Cloudflare was not switched on")
        check(set(fleet.stages().values()) == {"optional"}, "no origin enforces")
        all_serving(fleet)
    finally:
        subprocess.run(["docker", "exec", victim, "sed", "-i", "/BogusDirective on/d", "/etc/apache2/sites-available/origin-test.conf"], check=True)


def step_api_failure(fleet):
    # (429 with Retry-After and the other retry bounds are covered against the emulator in tests/integration_pytest.)
    print("Cloudflare API failing at the toggle (5xx): bounded retries, clean stop, origins at optional")
    for fault in ({"kind": "status", "status": 503, "method": "PATCH"},):
        fleet.emulator("POST", "/faults", fault)
        try:
            out = fleet.playbook("enable_aop.yml", "-e", "rollout_api_retries=2", expect_ok=False, label="api-%s" % fault["status"])
        finally:
            fleet.emulator("DELETE", "/faults")
        check("HTTP %d" % fault["status"] in out and "gave up after 3 attempts" in out, "stopped after bounded retries (HTTP %d)" % fault["status"])
        check(fleet.tls_client_auth() == "off", "Cloudflare still off")
        check(set(fleet.stages().values()) == {"optional"}, "origins still at optional")
        all_serving(fleet)


def step_gate_not_met(fleet):
    print("the gate is not met: the rollout stops before require")
    out = fleet.playbook("enable_aop.yml", "-e", "rollout_gate_min_verified=100000", "-e", "rollout_gate_timeout=3", expect_ok=False, label="gate-not-met")
    check("verification gate not met" in out, "stopped with the gate's table")
    check(set(fleet.stages().values()) == {"optional"}, "no origin enforces")
    all_serving(fleet)


def step_unreachable_mid_rollout(fleet):
    print("an origin unreachable mid-rollout: the batch fails, later batches do not run, all reachable origins serve")
    origins = list(fleet.info["origins"])
    last = origins[-1]
    fleet.load_start("load-unreachable.json")
    runner = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "_pause-when-require", "--state", fleet.state, "--watch", origins[0], "--pause", last],
    )
    try:
        fleet.playbook("enable_aop.yml", expect_ok=False, label="unreachable")
    finally:
        if runner.poll() is None:  # the playbook ended before the canary was seen at require (it says so below)
            runner.terminate()
        runner.wait(timeout=30)
        subprocess.run(["docker", "unpause", last], check=False, capture_output=True)
        fleet.load_stop("load-unreachable.json", min_requests=10, expect_down=last)
    print("  ok   no failed request through the edge to a reachable origin")
    stages = fleet.stages()
    check(stages[origins[0]] == "require", "the canary was enforced before the failure")
    check(stages[last] == "optional", "the unreachable origin was left as it was")


def step_relax_again(fleet):
    print("relax again (global off) before switching to our own certificates")
    disable(fleet)


def step_zone_level(fleet):
    zone_level(fleet)


def phases(fleet, relax=True):
    """The AWX workflow's phases (playbooks/enable_aop_phase.yml) as separate runs, per-origin ones on two --limit
    slices: out of order they refuse; in order they compose into enable_aop, with enable()'s checks of the enforced
    fleet. Starts relaxed (global off); ends relaxed again with disable() (under load), or enforced if not ``relax``."""
    origins = list(fleet.info["origins"])
    slices = [origins[0::2], origins[1::2]]
    check(fleet.tls_client_auth() == "off" and set(fleet.stages().values()) == {"optional"}, "relaxed fleet: Cloudflare off, every origin at optional")
    print("the workflow's phases as separate runs, per-origin phases on %d slices (%s), under load through the edge" % (len(slices), slices))

    def run(phase, part=None, expect_ok=True):
        limit = ["--limit", ",".join(slices[part] + ["localhost"])] if part is not None else []
        # A phase's gate counts the pulls since its own start (nothing from before the job): give them time to arrive.
        limit += ["-e", "rollout_gate_timeout=180"]
        label = "phase-%s%s" % (phase, "" if part is None else "-%d" % (part + 1))
        return fleet.playbook("enable_aop_phase.yml", "-e", "rollout_phase=%s" % phase, *limit, expect_ok=expect_ok, label=label)

    fleet.load_start("load-phases.json")
    time.sleep(1)
    try:
        out = run("require", 0, expect_ok=False)
        check("phase require: Cloudflare does not present" in out, "require before the cloudflare phase is refused with its reason")
        check(set(fleet.stages().values()) == {"optional"}, "no origin enforces")
        for part in range(len(slices)):
            run("optional", part)
        run("cloudflare")
        check(fleet.tls_client_auth() == "on", "the cloudflare phase switched tls_client_auth on")
        for part in range(len(slices)):
            run("gate", part)
        run("require", 0)
        stages = fleet.stages()
        check(
            {stages[o] for o in slices[0]} == {"require"} and {stages[o] for o in slices[1]} == {"optional"},
            "the first slice requires, the second is still at optional: %s" % stages,
        )
        out = run("proof", 1, expect_ok=False)
        check("is at stage optional, not require" in out, "proof on a slice not yet at require is refused")
        run("require", 1)
        run("proof")
    finally:
        fleet.load_stop("load-phases.json")
    check(fleet.tls_client_auth() == "on", "Cloudflare tls_client_auth is on")
    check(set(fleet.stages().values()) == {"require"}, "every origin at require after the phases: %s" % fleet.stages())
    for origin in origins:
        for case in ("none", "wrong", "self"):
            outcome = fleet.direct(origin, case)
            check(outcome in ("tls", 400), "%s refuses a direct request with %s certificate (%s)" % (origin, case, outcome))
        check(fleet.direct(origin, "good") == 200, "%s serves a request with the valid certificate" % origin)
        check(fleet.through_edge(origin) == 200, "%s serves through the edge" % origin)
    if relax:
        disable(fleet)


def step_phases(fleet):
    # The relaxed fleet the safety matrices leave, enforced through the workflow's phases: this is the verify's
    # enable (converge and the audit run enable_aop whole, under load, with the same checks); step_enable_again
    # and step_disable go on from the enforced fleet it leaves.
    phases(fleet, relax=False)


VERIFY_STEPS = [
    step_safety_enforced,
    step_safety_relaxed,
    step_phases,
    step_enable_again,
    step_disable,
    step_enable_check_relaxed,
    step_wrong_order,
    step_broken_config,
    step_api_failure,
    step_gate_not_met,
    step_unreachable_mid_rollout,
    step_relax_again,
    step_zone_level,
]


def verify(fleet):
    for step in VERIFY_STEPS:
        step(fleet)


# ------------------------------------------------------------------ exposure audit
AUDIT_ZONE2 = "origin.test"  # the name every test vhost serves: Caddy and Traefik answer only their own names


def audit_addresses(fleet):
    """A documentation address per origin (what the zones' DNS records point at)."""
    return {o: "192.0.2.%d" % (10 + i) for i, o in enumerate(fleet.info["origins"])}


def audit_setup(fleet):
    """Two zones of DNS records on the fleet; the plugin's inventory source, the audit's variables. Idempotent."""
    addr = audit_addresses(fleet)
    by_server = {}
    for o in fleet.info["origins"]:
        by_server.setdefault(fleet.info["origins"][o]["server"], []).append(o)
    nginx, apache = by_server["nginx"], by_server["apache"]
    state = fleet.emulator("GET", "/state")
    if not any(z["name"] == AUDIT_ZONE2 for z in state.values()):
        fleet.emulator("POST", "/zones", {"name": AUDIT_ZONE2, "settings": {"tls_client_auth": "on", "ssl": "strict"}})
        records = {
            ZONE: [dict(name="www", type="A", content=addr[o], proxied=True) for o in (nginx[0], apache[0])]
            + [
                dict(name="shop", type="A", content=addr[nginx[1]], proxied=True),
                dict(name="static", type="A", content=addr[apache[1]], proxied=True),
                dict(name="direct", type="A", content="203.0.113.10", proxied=False),
            ],
            AUDIT_ZONE2: [
                dict(name=AUDIT_ZONE2, type="A", content=addr[o], proxied=True) for o in by_server["haproxy"] + by_server["caddy"] + by_server["traefik"]
            ]
            + [
                dict(name="api." + AUDIT_ZONE2, type="A", content=addr[by_server["haproxy"][0]], proxied=True),
                dict(name="dev." + AUDIT_ZONE2, type="A", content=addr[nginx[0]], proxied=False),
            ],
        }
        for zone, recs in records.items():
            fleet.emulator("POST", "/zones/%s/dns_records" % zone, recs)
    with open(fleet.path("zones.cloudflare.yml"), "w") as fh:
        json.dump({"plugin": "originpulls.aop.cloudflare", "api_url": fleet.info["api_url"], "zones": [ZONE, AUDIT_ZONE2]}, fh, indent=1)
    inventory = fleet.load_json("fleet.yml")
    for name, hv in inventory["all"]["children"]["aop_origins"]["hosts"].items():
        hv["audit_address"] = addr[name]
    with open(fleet.path("audit-fleet.yml"), "w") as fh:
        json.dump(inventory, fh, indent=1)
    # The operator's inventory without the Traefik origin: it is in DNS only.
    left_out = by_server["traefik"][0]
    del inventory["all"]["children"]["aop_origins"]["hosts"][left_out]
    with open(fleet.path("audit-partial.yml"), "w") as fh:
        json.dump(inventory, fh, indent=1)
    audit_vars = {
        "audit_api_url": fleet.info["api_url"],
        "audit_ca_source": "custom",
        "audit_ca_path": os.path.join(fleet.pki, "cf-test-ca.crt"),
        "audit_probe_targets": {addr[o]: {"host": "127.0.0.1", "port": fleet.info["origins"][o]["port"]} for o in fleet.info["origins"]},
        "audit_probe_timeout": 5,
    }
    with open(fleet.path("audit-vars.yml"), "w") as fh:
        json.dump(audit_vars, fh, indent=1)
    return addr, by_server


def audit_binding(fleet, enabled):
    """origin.test (zone origin.test, served by the HAProxy, Caddy and Traefik origins) bound to a per-hostname
    certificate, disabled (enabled=False: Cloudflare presents it nothing), or the binding and the certificate
    removed (enabled=None). The edge stand-in presents by zone example.com: the load through it is not affected."""
    zid = next(k for k, z in fleet.emulator("GET", "/state").items() if z["name"] == AUDIT_ZONE2)
    base = "/zones/%s/origin_tls_client_auth/hostnames" % zid
    if enabled is None:
        cert_id = open(fleet.path("audit-binding")).read().strip()
        cloudflare_call(fleet, "PUT", base, {"config": [{"hostname": AUDIT_ZONE2, "cert_id": cert_id, "enabled": None}]})
        cloudflare_call(fleet, "DELETE", base + "/certificates/" + cert_id)
        return
    with open(os.path.join(fleet.pki, "client-good.crt")) as fh, open(os.path.join(fleet.pki, "client-good.key")) as kh:
        cert = cloudflare_call(fleet, "POST", base + "/certificates", {"certificate": fh.read(), "private_key": kh.read()})
    with open(fleet.path("audit-binding"), "w") as fh:
        fh.write(cert["id"])
    cloudflare_call(fleet, "PUT", base, {"config": [{"hostname": AUDIT_ZONE2, "cert_id": cert["id"], "enabled": enabled}]})


def cloudflare_call(fleet, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        fleet.info["api_url"] + path, data=data, method=method, headers={"Content-Type": "application/json", "Authorization": "Bearer " + fleet.token()}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["result"]


def audit_run(fleet, label, inventory="audit-fleet.yml", *extra, expect_ok=True):
    """audit_aop with the operator's inventory and the plugin's; returns (report, output, API writes)."""
    out_dir = fleet.path("audit-" + label)
    before = len(fleet.emulator("GET", "/log"))
    started = time.time()
    out = fleet.playbook(
        "audit_aop.yml",
        "-i",
        fleet.path("zones.cloudflare.yml"),
        "-e",
        "@" + fleet.path("audit-vars.yml"),
        "-e",
        "audit_report_dir=" + out_dir,
        *extra,
        expect_ok=expect_ok,
        label="audit-" + label,
        inventory=inventory,
    )
    took = time.time() - started
    writes = [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"]
    with open(os.path.join(out_dir, "aop-audit.json")) as fh:
        return json.load(fh), out, writes, took


def audit_cells(report):
    return {(h["name"], c["origin"]): c for z in report["zones"] for h in z["hostnames"] for c in h["cells"]}


def audit_stage(fleet, changes):
    """Put stages on some origins directly with the origin role (the state an operator's mistake leaves, or back)."""
    book = fleet.path("audit-perturb.yml")
    with open(book, "w") as fh:
        json.dump(
            [
                {
                    "name": "Leave some origins in a state the audit must find",
                    "hosts": ":".join(changes),
                    "gather_facts": False,
                    "vars": {"__changes": changes},
                    "tasks": [
                        {"name": "Gather what the roles need", "ansible.builtin.setup": {"gather_subset": ["min"]}},
                        {
                            "name": "Put the stage in place",
                            "ansible.builtin.include_role": {"name": "originpulls.aop.origin"},
                            "vars": {
                                "origin_stage": "{{ __changes[inventory_hostname].stage }}",
                                "origin_ca_source": "custom",
                                "origin_ca_path": "{{ __changes[inventory_hostname].ca }}",
                            },
                        },
                    ],
                }
            ],
            fh,
            indent=1,
        )
    fleet.playbook(book, label="audit-stage-" + "-".join(sorted({c["stage"] for c in changes.values()})))


def audit_junit_states(out_dir):
    """(hostname, origin) -> state, as the JUnit XML of an audit says it (failure type, skipped, or passed)."""
    import xml.etree.ElementTree as ET

    states = {}
    for case in ET.parse(os.path.join(out_dir, "aop-audit.junit.xml")).getroot().iter("testcase"):
        failure, skipped = case.find("failure"), case.find("skipped")
        hostname, origin = case.get("name").split(" via ")
        states[(hostname, origin)] = failure.get("type") if failure is not None else "unknown" if skipped is not None else "protected"
    return states


def audit_html_states(out_dir):
    """(hostname, origin) -> state, as the HTML report's matrix cells carry it."""
    with open(os.path.join(out_dir, "aop-audit.html")) as fh:
        page = fh.read()
    cells = re.findall(r'<td class="cell s-(\w+)" data-state="(\w+)" data-hostname="([^"]+)" data-origin="([^"]+)"', page)
    return {(h, o): state for cls, state, h, o in cells if cls == state}


def audit_enable(fleet, broken):
    """enable_aop on the full fleet (fleet.yml: every origin, the one only in DNS for the audit included) under load,
    with enable()'s checks - except that ``broken`` (at require trusting another CA) refuses Cloudflare's pulls until
    enable_aop re-stages it: its pulls, and only its, may fail, and only with that refusal (unknown CA)."""
    fleet.load_start("load-audit-enable.json")
    time.sleep(1)
    report = fleet.path("report-audit-enable.json")
    try:
        fleet.playbook("enable_aop.yml", "-e", "rollout_report_path=%s" % report, label="audit-enable")
    finally:
        summary = fleet.load_stop("load-audit-enable.json", expect_down=broken)
    check(
        all("/%s/" % broken in e["target"] and "UNKNOWN_CA" in str(e["detail"]) for e in summary["errors"]),
        "the only failed pulls were %s's refusal of Cloudflare's certificate (unknown CA) before enable_aop re-staged it (%d)" % (broken, summary["failures"]),
    )
    with open(report) as fh:
        rep = json.load(fh)
    check(
        rep["level"] == "global"
        and rep["cloudflare"]["tls_client_auth"] == "on"
        and set(rep["origins"]) == set(fleet.info["origins"])
        and all(o["stage"] == "require" and o["direct_request"]["refused"] for o in rep["origins"].values()),
        "the JSON run report says every origin requires and refused the direct request, Cloudflare on",
    )
    check(set(fleet.stages().values()) == {"require"}, "every origin is at require: %s" % fleet.stages())
    for origin in fleet.info["origins"]:
        for case in ("none", "wrong"):
            outcome = fleet.direct(origin, case)
            check(outcome in ("tls", 400), "%s refuses a direct request with %s certificate (%s)" % (origin, case, outcome))
        check(fleet.through_edge(origin) == 200, "%s serves through the edge" % origin)


def audit(fleet):
    """The exposure audit on the fleet converge left enforcing (enable_aop on the full fleet), with an operator's
    mistakes in it: every finding named, each cell in its state. enable_aop refuses the hostname whose binding is
    disabled; once the operator removed that binding, enable_aop on the full fleet (under load, with enable()'s
    checks) puts the rest right, and the audit is clean, --check giving the same bytes."""
    print("exposure audit: two zones' proxied records on the enforced fleet")
    addr, by_server = audit_setup(fleet)
    print("one origin at optional, one at require with another CA, one in DNS only, one hostname's binding disabled")
    audit_binding(fleet, False)
    loose, wrong_ca, left_out = by_server["nginx"][1], by_server["apache"][1], by_server["traefik"][0]
    unbound = by_server["haproxy"] + by_server["caddy"] + by_server["traefik"]  # the origins of origin.test
    audit_stage(
        fleet,
        {
            loose: {"stage": "optional", "ca": os.path.join(fleet.pki, "cf-test-ca.crt")},
            wrong_ca: {"stage": "require", "ca": os.path.join(fleet.pki, "other-ca.crt")},
        },
    )
    stages = fleet.stages()
    report, out, writes, took = audit_run(fleet, "findings", "audit-partial.yml", expect_ok=False)
    print("  audit with findings: %.0fs" % took)
    cells = audit_cells(report)
    shop = cells[("shop.example.com", addr[loose])]
    check(
        shop["state"] == "exposed" and shop["evidence"]["no_certificate"]["result"] == "served",
        "shop.example.com via %s (%s, at optional) is exposed: %s" % (addr[loose], loose, shop["reasons"][0]),
    )
    exposed = sorted(k for k, c in cells.items() if c["state"] == "exposed")
    check(exposed == [("shop.example.com", addr[loose])], "nothing else is exposed: %s" % exposed)
    static = cells[("static.example.com", addr[wrong_ca])]
    check(
        static["state"] == "broken" and static["reasons"][0].startswith("Cloudflare's pulls are refused: at require it trusts"),
        "static.example.com via %s (%s, at require with another CA) is broken: %s" % (addr[wrong_ca], wrong_ca, static["reasons"][0]),
    )
    for o in unbound:
        cell = cells[(AUDIT_ZONE2, addr[o])]
        check(
            cell["state"] == "broken" and cell["reasons"][0].startswith("no AOP in force for this hostname"),
            "%s via %s (%s, binding disabled) is broken: %s" % (AUDIT_ZONE2, addr[o], o, cell["reasons"][0]),
        )
    broken = sorted(k for k, c in cells.items() if c["state"] == "broken")
    check(broken == sorted([("static.example.com", addr[wrong_ca])] + [(AUDIT_ZONE2, addr[o]) for o in unbound]), "nothing else is broken: %s" % broken)
    check({c["state"] for k, c in cells.items() if k not in exposed + broken} == {"protected"}, "every other cell is protected")
    out_dir = fleet.path("audit-findings")
    junit, html = audit_junit_states(out_dir), audit_html_states(out_dir)
    json_states = {k: c["state"] for k, c in cells.items()}
    check(junit == json_states and html == json_states, "the JUnit XML and the HTML cells say the same as the JSON (%d cells)" % len(json_states))
    notices = report["notices"]
    check(
        any(n.startswith("origin %s is in DNS but not in the operator's inventory" % addr[left_out]) for n in notices),
        "%s (%s) is named as in DNS but not in the inventory" % (addr[left_out], left_out),
    )
    wrong = [n for n in notices if n.startswith("origin %s (%s): at require it trusts" % (addr[wrong_ca], wrong_ca))]
    check(len(wrong) == 1 and "presented for static.example.com" in wrong[0], "%s at require with the wrong CA is named: %s" % (wrong_ca, wrong))
    check(
        any(n.startswith("hostname %s (zone %s): no AOP in force" % (AUDIT_ZONE2, AUDIT_ZONE2)) for n in notices),
        "%s (binding disabled) is named" % AUDIT_ZONE2,
    )
    check("203.0.113.10" not in json.dumps(report) and ("dev.%s" % AUDIT_ZONE2) not in json.dumps(report), "DNS-only records are not audited")
    reasons = report["summary"]["reasons"]
    check(
        reasons
        == [
            "1 hostname/origin pair(s) exposed",
            "%d hostname/origin pair(s) broken: the origin refuses Cloudflare's own pulls" % len(broken),
            "1 proxied hostname(s) without AOP in force: %s" % AUDIT_ZONE2,
            "1 origin(s) with problems: %s" % addr[wrong_ca],
        ],
        "the run failed for exactly these reasons: %s" % reasons,
    )
    check("exposure audit: 1 hostname/origin pair(s) exposed" in out and "shop.example.com" in out, "the run's output names them (summary table)")
    check(writes == [] and fleet.stages() == stages, "the audit wrote nothing to Cloudflare and changed no origin")

    print("enable_aop for zone %s on the full fleet: refused before any change, naming the disabled binding" % AUDIT_ZONE2)
    before = len(fleet.emulator("GET", "/log"))
    out = fleet.playbook("enable_aop.yml", "-e", "rollout_zone=" + AUDIT_ZONE2, expect_ok=False, label="audit-enable-disabled-binding")
    check("disabled per-hostname binding for %s" % AUDIT_ZONE2 in out and "Nothing was changed" in out, "refused, naming %s" % AUDIT_ZONE2)
    check(
        [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"] == [] and fleet.stages() == stages,
        "no API write, no origin changed",
    )

    print("the operator removes the disabled binding; enable_aop on the full fleet under load puts the origins right")
    audit_binding(fleet, None)
    audit_enable(fleet, wrong_ca)

    print("exposure audit of the fleet after enable_aop, with the full inventory -> clean")
    report, out, writes, took = audit_run(fleet, "clean")
    print("  clean audit: %.0fs" % took)
    check(report["summary"]["failed"] is False and report["notices"] == [], "clean: %s %s" % (report["summary"], report["notices"]))
    check(set(c["state"] for c in audit_cells(report).values()) == {"protected"}, "every hostname x origin protected (%d)" % report["summary"]["cells"])
    check(writes == [], "no API write")
    with open(fleet.path("audit-clean/aop-audit.json"), "rb") as fh:
        first = fh.read()
    _report, out, writes, took = audit_run(fleet, "clean", "audit-fleet.yml", "--check")
    print("  clean audit --check: %.0fs" % took)
    with open(fleet.path("audit-clean/aop-audit.json"), "rb") as fh:
        check(fh.read() == first, "--check gives the same report, byte for byte")
    changed = [int(n) for n in re.findall(r"changed=(\d+)", out)]
    check(bool(changed) and sum(changed) == 0 and writes == [], "and changes nothing (changed=%s, no API write)" % changed)


def own_pki(fleet):
    """Two generations of our own client PKI, made with the collection's module."""
    own = fleet.path("own-pki")
    for gen in ("gen1", "gen2"):
        subprocess.run(
            [
                os.path.join(BIN, "ansible"),
                "localhost",
                "-m",
                "originpulls.aop.origin_pull_client_pki",
                "-a",
                "path=%s name=%s ca_common_name='e2e client CA %s'" % (own, gen, gen),
            ],
            check=True,
            capture_output=True,
            env=dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", "")),
        )

    def files(gen):
        return [
            "-e",
            "rollout_ca_path=%s/%s-ca.crt" % (own, gen),
            "-e",
            "rollout_client_certificate_path=%s/%s.crt" % (own, gen),
            "-e",
            "rollout_client_key_path=%s/%s.key" % (own, gen),
        ]

    return own, files


def zone_level(fleet):
    print("zone-level AOP with our own certificate: enable, rotate, disable - under load")
    own, files = own_pki(fleet)
    zone = ["-e", "rollout_level=zone"]
    m = Matrix(fleet)
    fleet.emulator("POST", "/faults", {"kind": "status", "status": 503, "method": "PUT", "path": "/origin_tls_client_auth/settings"})
    try:
        m.case(
            "enable_aop.yml zone-level: 503 storm at the switch",
            "enable_aop.yml",
            *(zone + files("gen1")),
            "-e",
            "rollout_api_retries=1",
            says="gave up after 2 attempts",
        )
    finally:
        fleet.emulator("DELETE", "/faults")
    m.report("safety matrix: zone-level enable, 5xx at the switch")
    # Zone-level AOP is still off (the switch failed); origin.test gets a disabled binding next.
    safety_disabled_binding(fleet, zone + files("gen1"), own)
    fleet.load_start("load-zone.json")
    time.sleep(1)
    try:
        fleet.playbook("enable_aop.yml", *(zone + files("gen1") + ["-e", "rollout_gate_issuer_contains=CN=e2e client CA gen1"]), label="zone-enable")
    finally:
        fleet.load_stop("load-zone.json")
    state = fleet.zone_state()
    check(state["zone_aop_enabled"] and len(state["zone_certs"]) == 1, "zone-level AOP on with one certificate")
    check(state["settings"]["tls_client_auth"]["value"] == "off", "global AOP untouched (off)")
    check(set(fleet.stages().values()) == {"require"}, "every origin at require")
    for origin in fleet.info["origins"]:
        check(fleet.through_edge(origin, with_level=True) == (200, "zone"), "%s serves the edge's zone-level certificate" % origin)
        shared = fleet.direct(origin, "good")
        check(shared in ("tls", 400), "%s refuses Cloudflare's shared certificate (test stand-in): %s" % (origin, shared))
        mine = request(fleet.info["origins"][origin]["port"], None, None, "1.3", pair=("%s/gen1.crt" % own, "%s/gen1.key" % own))[0]
        check(mine == 200, "%s serves our own certificate" % origin)

    print("safety matrix at zone level: disable and rotate in every shape, under load")
    old_ids = set(fleet.zone_state()["zone_certs"])
    rotate = files("gen2") + ["-e", "rollout_previous_ca_path=%s/gen1-ca.crt" % own]
    safety_zone(fleet, zone + files("gen1"), rotate)
    certs = fleet.zone_state()["zone_certs"]
    check(len(certs) == 1 and not (set(certs) & old_ids), "only the new certificate is left on Cloudflare")
    for origin in fleet.info["origins"]:
        port = fleet.info["origins"][origin]["port"]
        check(request(port, None, None, "1.3", pair=("%s/gen2.crt" % own, "%s/gen2.key" % own))[0] == 200, "%s serves the new certificate" % origin)
        old = request(port, None, None, "1.3", pair=("%s/gen1.crt" % own, "%s/gen1.key" % own))[0]
        check(old in ("tls", 400), "%s no longer trusts the previous CA (%s)" % (origin, old))

    print("disable zone-level AOP under load, killed half-way, then re-run without the client certificate or its key")
    m = Matrix(fleet)
    m.case(
        "disable_aop.yml zone-level killed after the first origin relaxed",
        "disable_aop.yml",
        *(zone + files("gen2")),
        expect="any",
        during=kill_when(fleet, lambda: "optional" in fleet.stages().values(), "after the first origin relaxed"),
    )
    # Turning zone-level AOP off needs no certificate: an operator who lost the key (or disables because it
    # leaked) gives only the CA.
    m.case("disable_aop.yml zone-level re-run, no certificate or key", "disable_aop.yml", *(zone + ["-e", "rollout_ca_path=%s/gen2-ca.crt" % own]), expect="ok")
    m.report("safety matrix: zone-level disable, killed and re-run")
    check(not fleet.zone_state()["zone_aop_enabled"], "zone-level AOP off")
    check(set(fleet.stages().values()) == {"optional"}, "every origin relaxed to optional")
    hostname_level(fleet)


def hostname_level(fleet):
    print("per-hostname AOP: enable and disable under load")
    _own, files = own_pki(fleet)
    host = ["-e", "rollout_level=hostname", "-e", '{"rollout_hostnames": ["origin.test"]}']
    fleet.load_start("load-hostname.json")
    time.sleep(1)
    try:
        fleet.playbook("enable_aop.yml", *(host + files("gen2") + ["-e", "rollout_gate_issuer_contains=CN=e2e client CA gen2"]), label="hostname-enable")
    finally:
        fleet.load_stop("load-hostname.json")
    state = fleet.zone_state()
    check(list(state["hostnames"]) == ["origin.test"] and state["hostnames"]["origin.test"]["enabled"], "origin.test bound to our hostname certificate")
    check(set(fleet.stages().values()) == {"require"}, "every origin at require")
    for origin in fleet.info["origins"]:
        check(fleet.through_edge(origin, with_level=True) == (200, "hostname"), "%s serves the edge's per-hostname certificate" % origin)
    fleet.load_start("load-hostname-off.json")
    time.sleep(1)
    try:
        fleet.playbook("disable_aop.yml", *(host + files("gen2")), label="hostname-disable")
    finally:
        fleet.load_stop("load-hostname-off.json")
    check(fleet.zone_state()["hostnames"] == {}, "the association is removed")
    check(set(fleet.stages().values()) == {"optional"}, "every origin relaxed to optional")


# ------------------------------------------------------------------ safety matrix
def _fingerprint(pem):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256()).hex().upper()


def _known_cas(fleet):
    """Every CA the tests made: subject DN -> SHA-256, to tell which one issued a certificate the edge presents."""
    from cryptography import x509

    out = {}
    paths = [os.path.join(fleet.pki, "cf-test-ca.crt")]
    own = fleet.path("own-pki")
    if os.path.isdir(own):
        paths += [os.path.join(own, n) for n in sorted(os.listdir(own)) if n.endswith("-ca.crt")]
    for path in paths:
        with open(path) as fh:
            pem = fh.read()
        out[x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string()] = _fingerprint(pem)
    return out


def invariant(fleet):
    """The oracle, from the emulator's and the origins' own state (not from the playbook's output).

    For every origin at require: the certificate the edge presents for its hostname (per-hostname >
    zone-level > global, a disabled binding gets none) is issued by a CA the origin trusts (the CAs its
    record on the origin lists). Returns (violations, stages).
    """
    from cryptography import x509

    edge = fleet.emulator("GET", "/edge/%s" % ZONE)
    cas = _known_cas(fleet)
    cf_ca = cas[next(k for k in cas if "Test Origin Pull CA" in k)]
    violations, stages = [], {}
    for origin, o in fleet.info["origins"].items():
        record = fleet.record(origin)
        stage = stages[origin] = record.get("stage", "none")
        if stage != "require":
            continue
        trusted = {f.replace(":", "").upper() for f in record.get("trusted_ca_sha256") or []}
        name = o["server_name"]
        hostnames = edge.get("hostnames") or {}
        if name in hostnames:
            cert_id = hostnames[name]
        elif edge["zone_level"]["enabled"] and edge["zone_level"]["certificate_id"]:
            cert_id = edge["zone_level"]["certificate_id"]
        elif edge["tls_client_auth"] == "on":
            cert_id = "global"
        else:
            cert_id = None
        if cert_id is None:
            violations.append("%s is at require and Cloudflare presents no certificate for %s" % (origin, name))
            continue
        if cert_id == "global":
            issuer_fp = cf_ca
        else:
            pem = fleet.emulator("GET", "/edge/%s/certificates/%s" % (ZONE, cert_id))["certificate"]
            issuer = x509.load_pem_x509_certificate(pem.encode()).issuer.rfc4514_string()
            issuer_fp = cas.get(issuer)
        if issuer_fp not in trusted:
            violations.append("%s is at require trusting %s, and Cloudflare presents %s issued by %s" % (origin, sorted(trusted), cert_id, issuer_fp))
    return violations, stages


class Matrix:
    """Safety cases on the shared fleet: each runs under load, then the oracle and the load judge it."""

    def __init__(self, fleet):
        self.fleet = fleet
        self.rows = []

    def snapshot(self):
        z = self.fleet.zone_state()
        return (
            z["settings"]["tls_client_auth"]["value"],
            z["zone_aop_enabled"],
            sorted(z["zone_certs"]),
            json.dumps(z["hostnames"], sort_keys=True),
            sorted(self.fleet.stages().items()),
        )

    def case(self, label, book, *extra, says=None, expect="refused", inventory="fleet.yml", unchanged=None, during=None):
        """Run one case. expect: 'refused' (rc != 0 and the output says ``says``), 'ok' (rc 0), or 'any'.

        unchanged: True when the run must change nothing at all (Cloudflare and every origin).
        during: a callable run while the playbook runs (for example to kill it); it gets the Popen.
        """
        fleet = self.fleet
        before = self.snapshot()
        fleet.load_start("load-matrix.json")
        time.sleep(0.5)
        log = fleet.path("run-matrix-%s.log" % re.sub(r"\W+", "-", label).strip("-"))
        try:
            rc, out = fleet.run_playbook(book, list(extra), inventory, log, during)
        finally:
            summary = fleet.load_stop("load-matrix.json", min_requests=5, raise_on_failure=False)
        violations, _stages = invariant(fleet)
        after = self.snapshot()
        outcome_ok = (expect == "refused" and rc != 0 and (says is None or says in out)) or (expect == "ok" and rc == 0) or expect == "any"
        row = {
            "case": label,
            "rc": rc,
            "expected": expect if expect != "refused" else "refused" + (" (%s)" % says if says else ""),
            "outcome": outcome_ok,
            "invariant": not violations,
            "failed pulls": summary["failures"],
            "unchanged": (after == before) if unchanged else "-",
            "violations": violations,
            "log": log,
        }
        self.rows.append(row)
        print(
            "  %-52s rc=%-3s %-5s invariant=%-5s failed pulls=%-3s unchanged=%s"
            % (label, rc, "ok" if outcome_ok else "WRONG", not violations, summary["failures"], row["unchanged"])
        )
        return row, out

    def refusals(self, cases, workers=None):
        """Cases that must each be refused before any change, run at once (``workers`` at a time) under one load:
        cases are (label, book, extra, says, inventory) tuples. Each is judged on its own output; the oracle, the
        load and the snapshot (Cloudflare and every origin) are judged once for the group, so any change made by
        any of them fails every row of the group."""
        from concurrent.futures import ThreadPoolExecutor

        fleet = self.fleet
        # ansible-runner in the EE shares one private data directory per fleet: one run at a time there.
        workers = workers or (1 if fleet.runner == "ee" else 4)
        before = self.snapshot()
        fleet.load_start("load-matrix.json")
        time.sleep(0.5)
        started = time.time()

        def run(case):
            label, book, extra, _says, inventory = case
            log = fleet.path("run-matrix-%s.log" % re.sub(r"\W+", "-", label).strip("-"))
            rc, out = fleet.run_playbook(book, list(extra), inventory or "fleet.yml", log)
            return rc, out, log

        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(run, cases))
        finally:
            summary = fleet.load_stop("load-matrix.json", min_requests=5, raise_on_failure=False)
        violations, _stages = invariant(fleet)
        unchanged = self.snapshot() == before
        print("  %d refusals at once (%d at a time): %.0fs" % (len(cases), workers, time.time() - started))
        for (label, _book, _extra, says, _inventory), (rc, out, log) in zip(cases, results):
            outcome_ok = rc != 0 and says in out
            self.rows.append(
                {
                    "case": label,
                    "rc": rc,
                    "expected": "refused (%s)" % says,
                    "outcome": outcome_ok,
                    "invariant": not violations,
                    "failed pulls": summary["failures"],
                    "unchanged": unchanged,
                    "violations": violations,
                    "log": log,
                }
            )
            print(
                "  %-52s rc=%-3s %-5s invariant=%-5s failed pulls=%-3s unchanged=%s"
                % (label, rc, "ok" if outcome_ok else "WRONG", not violations, summary["failures"], unchanged)
            )

    def unsafe(self):
        return [r for r in self.rows if not (r["outcome"] and r["invariant"] and r["failed pulls"] == 0 and r["unchanged"] in (True, "-"))]

    def report(self, title):
        width = max(len(r["case"]) for r in self.rows)
        print("\n  %s" % title)
        print("  %-*s  %-3s  %-8s  %-9s  %-12s  %s" % (width, "case", "rc", "outcome", "invariant", "failed pulls", "nothing changed"))
        for r in self.rows:
            print(
                "  %-*s  %-3s  %-8s  %-9s  %-12s  %s"
                % (width, r["case"], r["rc"], "as expected" if r["outcome"] else "WRONG", r["invariant"], r["failed pulls"], r["unchanged"])
            )
        bad = self.unsafe()
        for r in bad:
            print("  UNSAFE %s: %s (log: %s)" % (r["case"], "; ".join(r["violations"]) or "see the row", r["log"]))
        check(not bad, "%s: every cell is safe (%d cases)" % (title, len(self.rows)))
        self.rows = []


def unreachable_inventory(fleet):
    """An inventory where the last origin's SSH port refuses connections, while it keeps serving through the edge."""
    inv = json.loads(open(fleet.path("fleet.yml")).read())
    host = inv["all"]["children"]["aop_origins"]["hosts"][list(fleet.info["origins"])[-1]]
    host.update({"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": free_port(), "ansible_ssh_common_args": "-o ConnectTimeout=3"})
    with open(fleet.path("fleet-unreachable.yml"), "w") as fh:
        json.dump(inv, fh, indent=1)
    return "fleet-unreachable.yml"


def break_config(fleet):
    victim = [o for o in fleet.info["origins"] if "apache" in o][-1]
    path = "/etc/apache2/sites-available/origin-test.conf"
    subprocess.run(["docker", "exec", victim, "sed", "-i", "s/ServerName origin.test/ServerName origin.test\\n    BogusDirective on/", path], check=True)
    return lambda: subprocess.run(["docker", "exec", victim, "sed", "-i", "/BogusDirective on/d", path], check=True)


def kill_when(fleet, condition, what):
    """A ``during`` hook: SIGKILL the whole ansible-playbook process group once ``condition()`` holds."""

    def hook(proc):
        deadline = time.time() + 240
        while proc.poll() is None and time.time() < deadline:
            if condition():
                os.killpg(proc.pid, signal.SIGKILL)
                print("    killed ansible-playbook (SIGKILL) %s" % what)
                return
            time.sleep(0.2)

    return hook


def refused_everywhere(m, books, unreachable_inv=None):
    """The cases that must stop before any change, for each playbook of ``books`` ((book, extra) pairs) in one fleet
    state. They change nothing, so they run at once (Matrix.refusals): first every case but the broken config, then,
    with the config broken, that case for every playbook."""
    first = list(m.fleet.info["origins"])[0]
    group, broken = [], []
    for book, extra in books:
        level = [a for a in extra if a.startswith("rollout_level=")]
        what = book + (" " + " ".join(level) if level else "")
        group += [
            ("%s: an origin unreachable over SSH" % what, book, [*extra], "could not reach or check", unreachable_inv),
            ("%s: rollout_hosts misspelt" % what, book, [*extra, "-e", "rollout_hosts=aop_orgins"], "matches no host", None),
            ("%s: empty group" % what, book, [*extra, "-e", "rollout_hosts=nonexistent_group"], "matches no host", None),
            ("%s: --limit without localhost" % what, book, [*extra, "--limit", first], "leaves out localhost", None),
        ]
        broken.append(("%s: an origin whose config fails its test" % what, book, [*extra], "BogusDirective", None))
    m.refusals(group)
    restore = break_config(m.fleet)
    try:
        m.refusals(broken)
    finally:
        restore()


def emulator_api(fleet, method, path, body=None):
    """A Cloudflare API call to the emulator with the fleet's token (to set up a state the rollout did not make)."""
    zone_id = next(k for k, z in fleet.emulator("GET", "/state").items() if z["name"] == ZONE)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        fleet.info["api_url"] + "/zones/%s%s" % (zone_id, path),
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + fleet.token()},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["result"]


def safety_disabled_binding(fleet, zone_args, own):
    """origin.test bound to a per-hostname certificate but disabled: Cloudflare sends it no certificate even with
    zone-level AOP on, so no origin serving it may go to require (the gate is skipped to reach that guard)."""
    m = Matrix(fleet)
    with open(os.path.join(own, "gen1.crt")) as fh, open(os.path.join(own, "gen1.key")) as kh:
        cert = emulator_api(fleet, "POST", "/origin_tls_client_auth/hostnames/certificates", {"certificate": fh.read(), "private_key": kh.read()})
    for _attempt in range(100):
        if emulator_api(fleet, "GET", "/origin_tls_client_auth/hostnames/certificates/%s" % cert["id"])["status"] == "active":
            break
        time.sleep(0.2)
    emulator_api(fleet, "PUT", "/origin_tls_client_auth/hostnames", {"config": [{"hostname": "origin.test", "cert_id": cert["id"], "enabled": False}]})
    try:
        m.case(
            "enable_aop.yml zone-level, origin.test's binding disabled",
            "enable_aop.yml",
            *zone_args,
            "-e",
            "rollout_gate_skip=true",
            says="refusing to let these origins require",
        )
        check(set(fleet.stages().values()) == {"optional"}, "no origin requires a certificate that origin.test is not sent")
    finally:
        emulator_api(fleet, "PUT", "/origin_tls_client_auth/hostnames", {"config": [{"hostname": "origin.test", "cert_id": cert["id"], "enabled": None}]})
        emulator_api(fleet, "DELETE", "/origin_tls_client_auth/hostnames/certificates/%s" % cert["id"])
    m.report("safety matrix: a disabled hostname binding")


def safety_zone(fleet, zone_args, rotate_args):
    """Zone-level AOP on with gen1, every origin at require: disable and rotate must keep every pull served."""
    m = Matrix(fleet)
    inv = unreachable_inventory(fleet)
    first = list(fleet.info["origins"])[0]
    refused_everywhere(m, [("disable_aop.yml", zone_args), ("enable_aop.yml", zone_args), ("rotate_aop_certificate.yml", rotate_args)], unreachable_inv=inv)
    for tag in ("optional", "cloudflare", "gate", "require", "check"):
        m.case("enable_aop.yml zone-level --tags %s" % tag, "enable_aop.yml", *zone_args, "--tags", tag, expect="ok", unchanged=True)
    m.case(
        "disable_aop.yml zone-level --tags cloudflare",
        "disable_aop.yml",
        *zone_args,
        "--tags",
        "cloudflare",
        says="refusing to switch zone AOP",
        unchanged=True,
    )
    m.case(
        "disable_aop.yml zone-level --limit <one origin>:localhost",
        "disable_aop.yml",
        *zone_args,
        "--limit",
        first + ":localhost",
        says="refusing to switch zone AOP",
    )
    # Global AOP on as well: zone-level off would leave Cloudflare presenting its own certificate, which the origins at
    # optional (trusting only our CA) verify and refuse. Refused in the preflight, before any origin relaxed.
    zone_id = next(k for k, z in fleet.emulator("GET", "/state").items() if z["name"] == ZONE)
    fleet.emulator("PATCH", "/zones/%s/settings/tls_client_auth" % zone_id, {"value": "on"})
    try:
        m.case(
            "disable_aop.yml zone-level while global AOP is on (refused before any change)",
            "disable_aop.yml",
            *zone_args,
            says="refusing to switch zone AOP",
            unchanged=True,
        )
    finally:
        fleet.emulator("PATCH", "/zones/%s/settings/tls_client_auth" % zone_id, {"value": "off"})
    m.case(
        "disable_aop.yml zone-level without the private key",
        "disable_aop.yml",
        "-e",
        "rollout_level=zone",
        "--tags",
        "cloudflare",
        says="refusing to switch zone AOP",
        unchanged=True,
    )
    m.case("enable_aop.yml zone-level (restore)", "enable_aop.yml", *zone_args, expect="ok")
    m.case(
        "rotate_aop_certificate.yml --limit <one origin>:localhost",
        "rotate_aop_certificate.yml",
        *rotate_args,
        "--limit",
        first + ":localhost",
        says="refusing to switch zone AOP",
    )
    fleet.emulator("POST", "/faults", {"kind": "status", "status": 503, "method": "POST"})
    try:
        m.case(
            "rotate_aop_certificate.yml: 503 storm at the upload",
            "rotate_aop_certificate.yml",
            *rotate_args,
            "-e",
            "rollout_api_retries=1",
            says="the rotation stopped at Cloudflare",
        )
    finally:
        fleet.emulator("DELETE", "/faults")
    m.case(
        "rotate_aop_certificate.yml killed after the upload",
        "rotate_aop_certificate.yml",
        *rotate_args,
        expect="any",
        during=kill_when(fleet, lambda: len(fleet.zone_state()["zone_certs"]) > 1, "after the new certificate was uploaded"),
    )
    m.case("rotate_aop_certificate.yml re-run after the kill", "rotate_aop_certificate.yml", *rotate_args, expect="ok")
    before = len(fleet.emulator("GET", "/log"))
    _row, out = m.case("rotate_aop_certificate.yml re-run after it completed", "rotate_aop_certificate.yml", *rotate_args, expect="ok", unchanged=True)
    writes = [e for e in fleet.emulator("GET", "/log")[before:] if e["method"] != "GET"]
    changed = [int(n) for n in re.findall(r"changed=(\d+)", out)]
    check(sum(changed) == 0 and not writes, "the completed rotation's re-run changes nothing (changed=%s, API writes %d)" % (changed, len(writes)))
    m.report("safety matrix: zone-level AOP, disable and rotation")


def safety_enforced_global(fleet):
    """Global AOP on, every origin at require: nothing may switch Cloudflare off under them."""
    m = Matrix(fleet)
    inv = unreachable_inventory(fleet)
    first = list(fleet.info["origins"])[0]
    refused_everywhere(m, [("disable_aop.yml", ()), ("enable_aop.yml", ())], unreachable_inv=inv)
    m.case("disable_aop.yml --tags cloudflare", "disable_aop.yml", "--tags", "cloudflare", says="refusing to switch global AOP", unchanged=True)
    m.case("disable_aop.yml --tags check", "disable_aop.yml", "--tags", "check", expect="any")
    for tag in ("optional", "gate", "check"):
        m.case("enable_aop.yml --tags %s" % tag, "enable_aop.yml", "--tags", tag, expect="ok", unchanged=True)
    m.case("disable_aop.yml --limit <one origin>:localhost", "disable_aop.yml", "--limit", first + ":localhost", says="refusing to switch global AOP")
    m.case("disable_aop.yml --tags relax (Cloudflare stays on: safe)", "disable_aop.yml", "--tags", "relax", expect="ok")
    # 5xx at the switch: the origins relaxed first, Cloudflare stays on - served either way.
    fleet.emulator("POST", "/faults", {"kind": "status", "status": 503, "method": "PATCH"})
    try:
        m.case("disable_aop.yml: 503 storm at the switch", "disable_aop.yml", "-e", "rollout_api_retries=2", says="gave up after 3 attempts")
    finally:
        fleet.emulator("DELETE", "/faults")
    # (A disable killed half-way on the enforced fleet: safety_relaxed_global, after its enable re-run.)
    m.case("disable_aop.yml re-run after the 503 storm", "disable_aop.yml", expect="ok")
    check(fleet.tls_client_auth() == "off" and set(fleet.stages().values()) == {"optional"}, "the re-run completed the disable")
    m.report("safety matrix: global AOP, enforced fleet, disable")


def safety_relaxed_global(fleet):
    """Global AOP off, every origin at optional: enable in every shape, killed and re-run; then disable killed half-way
    on the enforced fleet the re-run leaves, and re-run."""
    m = Matrix(fleet)
    inv = unreachable_inventory(fleet)
    first = list(fleet.info["origins"])[0]
    refused_everywhere(m, [("enable_aop.yml", ())], unreachable_inv=inv)
    m.case("enable_aop.yml --tags require", "enable_aop.yml", "--tags", "require", says="refusing to let these origins require", unchanged=True)
    m.case(
        "enable_aop.yml killed right after Cloudflare switched on",
        "enable_aop.yml",
        expect="any",
        during=kill_when(fleet, lambda: fleet.tls_client_auth() == "on", "right after Cloudflare switched on"),
    )
    m.case("enable_aop.yml re-run after the kill", "enable_aop.yml", expect="ok")
    check(fleet.tls_client_auth() == "on" and set(fleet.stages().values()) == {"require"}, "the re-run completed the enable")
    # Back to relaxed from the enforced fleet the re-run left, by a disable killed half-way and its re-run.
    m.case(
        "disable_aop.yml killed after the first origin relaxed",
        "disable_aop.yml",
        expect="any",
        during=kill_when(fleet, lambda: "optional" in fleet.stages().values(), "after the first origin relaxed"),
    )
    m.case("disable_aop.yml re-run after the kill", "disable_aop.yml", expect="ok")
    check(fleet.tls_client_auth() == "off" and set(fleet.stages().values()) == {"optional"}, "the re-run completed the disable")
    m.case("enable_aop.yml --tags cloudflare (origins at optional: safe)", "enable_aop.yml", "--tags", "cloudflare", expect="ok")
    m.case("enable_aop.yml --limit <one origin>:localhost", "enable_aop.yml", "--limit", first + ":localhost", expect="ok")
    m.case(
        "disable_aop.yml --limit <one origin>:localhost (others unobserved)",
        "disable_aop.yml",
        "--limit",
        first + ":localhost",
        says="refusing to switch global AOP",
    )
    m.case("disable_aop.yml (back to relaxed)", "disable_aop.yml", expect="ok")
    m.report("safety matrix: global AOP, relaxed fleet, enable (and a disable killed half-way)")


def pause_when_require(fleet, watch, pause):
    # As long as the playbook may take to reach the canary's require (preflight, optional, Cloudflare, the gate's
    # wait): the step stops this watcher when the playbook ends first.
    deadline = time.time() + 900
    while time.time() < deadline:
        if fleet.stage(watch) == "require":
            subprocess.run(["docker", "pause", pause], check=True)
            return 0
        time.sleep(0.2)
    return 1


def down(fleet):
    for name in ("emulator.pid",):
        try:
            with open(fleet.path(name)) as fh:
                os.kill(int(fh.read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    for name in os.listdir(fleet.state) if os.path.isdir(fleet.state) else []:
        if name.endswith(".running"):
            os.unlink(fleet.path(name))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "command",
        choices=[
            "up",
            "enable",
            "verify",
            "audit",
            "audit-run",
            "safety-enforced",
            "safety-relaxed",
            "disable",
            "zone",
            "hostname",
            "phases",
            "down",
            "_pause-when-require",
        ],
    )
    ap.add_argument("--state", required=True)
    ap.add_argument("--origins", default="")
    ap.add_argument("--watch")
    ap.add_argument("--pause")
    ap.add_argument("--runner", choices=["host", "ee"], default="host", help="who runs the playbooks: this venv, or ansible-runner in an EE")
    ap.add_argument("--ee-image", help="the execution environment image (--runner ee)")
    args = ap.parse_args(argv)
    fleet = Fleet(args.state, args.runner, args.ee_image)
    if args.command == "up":
        up(fleet, [o for o in args.origins.split(",") if o], link=True)
    elif args.command == "enable":
        enable(fleet)
    elif args.command == "verify":
        verify(fleet)
    elif args.command == "audit":
        audit(fleet)
    elif args.command == "audit-run":
        audit_setup(fleet)
        report, _out, _writes, took = audit_run(fleet, "demo", expect_ok=None)
        print("\n".join(_out.splitlines()[-40:]))
        print("audit_aop: %.1fs; HTML report: %s" % (took, fleet.path("audit-demo/aop-audit.html")))
        return 1 if report["summary"]["failed"] else 0
    elif args.command == "safety-enforced":
        safety_enforced_global(fleet)
    elif args.command == "safety-relaxed":
        safety_relaxed_global(fleet)
    elif args.command == "disable":
        disable(fleet)
    elif args.command == "zone":
        zone_level(fleet)
    elif args.command == "hostname":
        hostname_level(fleet)
    elif args.command == "phases":
        phases(fleet)
    elif args.command == "down":
        down(fleet)
    else:
        return pause_when_require(fleet, args.watch, args.pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
