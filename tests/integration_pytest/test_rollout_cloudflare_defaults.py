"""The rollout role reaches Cloudflare through module_defaults of the action group, never by hand.

- every task of the role that calls a module of group/originpulls.aop.cloudflare sits under a
  module_defaults that names that module (on the task or an enclosing block) and passes no connection
  option itself, so no task can forget one (the retry settings were once forgotten on one task);
- the role's defaults name each module, not the group: an operator's own module_defaults for the group
  (module_defaults replace a group's entry wholesale, level by level) still reach the role's calls, as a
  token given only there shows;
- a missing or doubly given zone is refused in the rollout's terms before any API call.
"""

from __future__ import annotations

import glob
import os

import yaml
from conftest import TOKEN

from helpers.ansible import run_tasks
from helpers.collection import ROOT

GROUP = "group/originpulls.aop.cloudflare"
CONNECTION = {"api_url", "api_token", "api_email", "api_key", "zone", "zone_id", "retries", "retry_max_total", "retry_max_delay", "timeout"}


def group_modules():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
        return {"originpulls.aop." + m for m in yaml.safe_load(fh)["action_groups"]["cloudflare"]}


def walk(tasks, inherited=frozenset()):
    """Yield (task, module, defaults) for every task: defaults = the module keys of the module_defaults in force."""
    for task in tasks or []:
        here = inherited | set(task.get("module_defaults") or {})
        if "block" in task:
            for key in ("block", "rescue", "always"):
                yield from walk(task.get(key), here)
            continue
        module = next((k for k in task if k.startswith("originpulls.aop.")), None)
        yield task, module, here


def test_every_cloudflare_call_of_the_rollout_role_takes_the_group_defaults():
    modules = group_modules()
    seen = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "rollout", "tasks", "*.yml"))):
        with open(path) as fh:
            tasks = yaml.safe_load(fh)
        for task, module, defaults in walk(tasks):
            if module not in modules:
                continue
            seen += 1
            where = "%s: %r" % (os.path.basename(path), task.get("name"))
            assert module in defaults, "%s calls %s without module_defaults for it" % (where, module)
            assert GROUP not in defaults, "%s: the role must not set the group's defaults (they would hide the operator's)" % where
            passed = CONNECTION & set(task[module] or {})
            assert not passed, "%s passes connection options by hand: %s" % (where, sorted(passed))
    # The role calls Cloudflare in preflight, the switch, the guard, the order check and the retirement.
    assert seen >= 10


def preflight(extra_vars, module_defaults=None, emulator_url=""):
    task = {
        "name": "preflight",
        "ansible.builtin.include_role": {"name": "originpulls.aop.rollout", "tasks_from": "preflight_cloudflare"},
        "vars": dict({"rollout_hosts": "localhost", "rollout_api_retries": 0}, **extra_vars),
    }
    play_task = {"name": "run", "block": [task]}
    if module_defaults:
        play_task["module_defaults"] = module_defaults
    return run_tasks([play_task])


def test_an_operators_module_defaults_reach_the_roles_cloudflare_calls(emulator):
    """The token only in the operator's module_defaults for the group (no rollout_api_token, no environment)."""
    given = {"rollout_zone": "example.com", "rollout_api_url": emulator.url}
    res = preflight(given)
    assert res.rc != 0 and "no Cloudflare credentials" in res.stdout, res.stdout[-3000:]
    res = preflight(given, module_defaults={GROUP: {"api_token": TOKEN}})
    assert res.rc == 0, res.stdout[-3000:]
    assert [e for e in emulator.log if e["path"].endswith("/zones")], "the preflight looked the zone up"


def test_no_zone_is_refused_in_the_rollouts_terms_before_any_call(emulator):
    res = preflight({"rollout_api_url": emulator.url, "rollout_api_token": TOKEN})
    assert res.rc != 0
    assert "set rollout_zone to the zone name" in res.stdout and "zone_id" not in res.stdout.replace("rollout_zone_id", "")
    assert emulator.log == []


def test_both_zone_and_zone_id_are_refused_before_any_call(emulator, zone_id):
    res = preflight({"rollout_api_url": emulator.url, "rollout_api_token": TOKEN, "rollout_zone": "example.com", "rollout_zone_id": zone_id})
    assert res.rc != 0
    assert "rollout_zone and rollout_zone_id are both set" in res.stdout
    assert emulator.log == []
