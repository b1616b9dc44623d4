# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback (tests only, not shipped): per host, the task results that reached the host.

Enabled by tests/benchmarks/fleet_bench.py (ANSIBLE_CALLBACK_PLUGINS, ANSIBLE_CALLBACKS_ENABLED); writes
{"hosts": {host: {"tasks": n, "controller": n, "skipped": n, "actions": {action: n}}}} to $AOP_BENCH_COUNT_OUT at the end of the run.
A result "reaches the host" unless it is delegated to localhost or its action runs on the controller only.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: aop_bench_count
type: aggregate
short_description: Count the task results per host that reached the host (benchmark only)
description:
  - Writes per host the number of task results that ran on the host, ran on the controller, or were skipped.
options: {}
"""

# Actions that never open a connection to the host.
CONTROLLER_ONLY = {
    "set_fact",
    "assert",
    "debug",
    "fail",
    "meta",
    "set_stats",
    "add_host",
    "group_by",
    "pause",
    "include_tasks",
    "include_role",
    "import_tasks",
    "import_role",
    "include_vars",
    "validate_argument_spec",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aop_bench_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts = {}

    def _count(self, result, kind=None):
        host = result._host.get_name()
        row = self.hosts.setdefault(host, {"tasks": 0, "controller": 0, "skipped": 0, "actions": {}})
        if kind is None:
            action = result._task.action.rsplit(".", 1)[-1]
            delegated = (result._result.get("_ansible_delegated_vars") or {}).get("ansible_host")
            delegate_to = result._task.delegate_to
            local = delegate_to in ("localhost", "127.0.0.1") or delegated in ("localhost", "127.0.0.1")
            kind = "controller" if local or action in CONTROLLER_ONLY or host == "localhost" else "tasks"
            if kind == "tasks":
                row["actions"][action] = row["actions"].get(action, 0) + 1
        row[kind] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_on_unreachable(self, result):
        self._count(result)

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        out = os.environ.get("AOP_BENCH_COUNT_OUT")
        if out:
            with open(out, "w") as fh:
                json.dump({"hosts": self.hosts}, fh)

    # ad hoc runs (ansible -m ping) end here too
    def v2_runner_on_async_ok(self, result):
        self._count(result)
