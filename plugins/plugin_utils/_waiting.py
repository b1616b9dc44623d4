# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Long waits with progress lines, for the action plugins of the collection.

PRIVATE to the collection. A module cannot print while it runs, so a module that would wait silently
(for the AOP gate's log counts, for Cloudflare to deploy a certificate) is run by its action plugin
one look at a time instead: the plugin runs the module, prints one short line with what the module
saw, sleeps, and looks again, until the wait is over. Each look is a whole, normal module run.
"""

from __future__ import annotations

import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


def _int(value, default):
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default  # the module's own argument check reports it


class WaitingAction(ActionBase):
    """Run the module of the same name; when it says to wait, look again with progress lines."""

    _supports_check_mode = True
    _supports_async = True

    module = ""  # FQCN of the module this plugin runs

    def look(self, args, task_vars, check_mode=None):
        saved = self._task.check_mode
        if check_mode is not None:
            self._task.check_mode = check_mode
        try:
            return self._execute_module(module_name=self.module, module_args=dict(args), task_vars=task_vars)
        finally:
            self._task.check_mode = saved

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._task.async_val:
            # async: the module runs once, in the background, as without this plugin (no looks, no progress lines).
            result.update(self._execute_module(module_name=self.module, module_args=dict(self._task.args), task_vars=task_vars, wrap_async=True))
            return result
        try:
            result.update(self.wait(dict(self._task.args), task_vars or {}))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def say(self, task_vars, text):
        display.display("  %s [%s]: %s" % (self.label, task_vars.get("inventory_hostname", "?"), text))

    label = "wait"

    def wait(self, args, task_vars):
        raise NotImplementedError


class GateWait(WaitingAction):
    """webserver_status with a gate and wait_timeout: look at the AOP log until the gate is met or failed."""

    module = "originpulls.aop.webserver_status"
    label = "gate"

    def wait(self, args, task_vars):
        timeout = _int(args.get("wait_timeout"), 0)
        interval = max(1, _int(args.get("wait_interval"), 5))
        deadline = time.monotonic() + timeout
        looks = 0
        while True:
            looks += 1
            res = self.look(args, task_vars)
            gate = res.get("gate")
            left = deadline - time.monotonic()
            if res.get("failed") or not gate or gate.get("verdict") != "waiting" or left <= 0:
                break
            c, need = res.get("counts", {}), gate.get("thresholds", {})
            self.say(
                task_vars,
                "%s verified of %s needed, %s unverified (at most %s), %s failed (at most %s); %ds left"
                % (c.get("verified"), need.get("min_verified"), c.get("unverified"), need.get("max_unverified"), c.get("failed"), need.get("max_failed"), left),
            )
            time.sleep(min(interval, left))
        res["looks"] = looks
        return res


PENDING = ("pending_deployment", "pending_activation", "initializing", "pending")


class CertificateWait(WaitingAction):
    """A certificate module with wait: upload without waiting, then look (check mode: never a write) until active."""

    label = "certificate"
    interval = 3

    def wait(self, args, task_vars):
        waits = boolean(args.get("wait", True), strict=False) and (args.get("state") or "present") == "present"
        if not waits or self._task.check_mode:
            return self.look(args, task_vars)
        timeout = _int(args.get("wait_timeout"), 300)
        deadline = time.monotonic() + timeout
        first = res = self.look(dict(args, wait=False), task_vars)
        first_id = (first.get("certificate") or {}).get("id")
        calls = list(first.get("api_calls") or [])
        looks = 1
        while not res.get("failed"):
            cert = res.get("certificate") or {}
            if res is not first and cert.get("id") != first_id:
                # The look did not find our certificate as a live one: Cloudflare put it in a final state
                # (deployment timed out, deleted). Say which, as the module's own wait does; never upload again.
                ours = next((c for c in res.get("certificates") or [] if c.get("id") == first_id), {})
                cert = dict(ours, id=first_id, status=ours.get("status") or "gone")
            status, left = cert.get("status"), deadline - time.monotonic()
            if status == "active":
                break
            if status not in PENDING:
                res = dict(res, failed=True, certificate=cert, msg="%s %s is %s on Cloudflare; upload it again" % (self.what, first_id, status))
                break
            if left <= 0:
                res = dict(
                    res,
                    failed=True,
                    msg="%s %s is still %r after %ss; it stays uploaded - run again to keep waiting, or raise wait_timeout"
                    % (self.what, cert.get("id"), status, timeout),
                )
                break
            self.say(task_vars, "%s %s is %s at Cloudflare; %ds left" % (self.what, cert.get("id"), status, left))
            time.sleep(min(self.interval, left))
            # In check mode: a look never uploads again, whatever Cloudflare says meanwhile.
            res = self.look(dict(args, wait=False), task_vars, check_mode=True)
            calls += list(res.get("api_calls") or [])
            looks += 1
        res = dict(res, changed=bool(first.get("changed")), api_calls=calls, looks=looks)
        if "diff" in first:
            res["diff"] = first["diff"]
        return res
