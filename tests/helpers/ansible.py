"""Run real ansible-playbook processes against the collection in this checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import yaml

from .collection import ROOT, collections_root


def ansible_env(extra=None):
    env = dict(os.environ)
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_root()
    env["ANSIBLE_LOCAL_TEMP"] = os.path.join(ROOT, ".cache", "ansible-tmp")
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
    env["ANSIBLE_HOST_KEY_CHECKING"] = "0"
    env.pop("CLOUDFLARE_API_TOKEN", None)
    env.pop("CLOUDFLARE_TOKEN", None)
    env.pop("CLOUDFLARE_EMAIL", None)
    env.pop("CLOUDFLARE_API_KEY", None)
    env.update(extra or {})
    return env


def json_document(stdout):
    """The JSON callback's document; progress lines that action plugins print while waiting come before it."""
    start = 0 if stdout.startswith("{") else stdout.find("\n{") + 1
    return json.loads(stdout[start:])


class PlayResult:
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data

    def task(self, name):
        """The localhost result of the task called ``name``."""
        for play in self.data.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"] == name:
                    return task["hosts"].get("localhost")
        raise KeyError("no task %r in the run:\n%s\n%s" % (name, self.stdout[-3000:], self.stderr[-3000:]))

    @property
    def stats(self):
        return self.data.get("stats", {}).get("localhost", {})


def run_tasks(tasks, check=False, diff=False, env=None, verbosity=0, callback="ansible.posix.json", extra_args=()):
    """Run ``tasks`` in one localhost play; returns a PlayResult (JSON callback) or raw output."""
    os.makedirs(os.path.join(ROOT, ".cache"), exist_ok=True)
    play = [{"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=os.path.join(ROOT, ".cache"), delete=False) as fh:
        yaml.safe_dump(play, fh, sort_keys=False)
        path = fh.name
    try:
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local", path]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd.extend(extra_args)
        e = ansible_env(env)
        e["ANSIBLE_STDOUT_CALLBACK"] = callback
        proc = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=600, check=False)
    finally:
        os.unlink(path)
    data = {}
    if callback.endswith("json"):
        try:
            data = json_document(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON (rc=%s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return PlayResult(proc, data)
