# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""webserver_stage: the origin role's stage contract as one task per host.

Reads the role's variables, refuses bad input before any change, checks the CA once per run on the controller,
renders the server's data and templates and runs originpulls.aop.webserver_config on the host - with the few extra
module runs a server needs (Apache's mod_ssl, Traefik's stale CA files, stage absent's empty directory). One task
instead of a dozen keeps a stage run close to the connection floor: each task costs every host a worker process.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

from ansible_collections.originpulls.aop.plugins.plugin_utils import _webserver_stage as plan


class Failed(Exception):
    """A module run on the host failed; its result is the task's."""

    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class ActionModule(ActionBase):
    """Runs originpulls.aop.webserver_config for the origin role's stage (see the module's documentation)."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("role_path", "alias"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self.task_vars = task_vars or {}
        self.role_path = self._task.args.get("role_path") or ""
        if not os.path.isdir(os.path.join(self.role_path, "vars", "servers")):
            raise AnsibleError("webserver_stage: role_path %r is not the directory of the role originpulls.aop.origin" % self.role_path)
        self.extra = {"changed": False, "warnings": []}
        self.server = self.transaction = None
        try:
            result.update(self.stage(self._task.args.get("alias") or ""))
        except plan.Refusal as exc:
            result.update(failed=True, changed=self.extra["changed"], msg=str(exc))
        except Failed as exc:  # a module on the host failed: its result (with the server's own error) is the task's
            # ... with what this task did before it (mod_ssl enabled, a transaction already live) still said.
            result.update(self.transaction or {})
            result.update(exc.result)
            result["changed"] = bool(exc.result.get("changed")) or self.extra["changed"]
        finally:  # the remote temporary directory the module runs shared (without pipelining)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if self.server:
            result["server"] = self.server
        if self.extra["warnings"]:  # the CA check's (close to expiry), whatever happened after it
            result["warnings"] = list(result.get("warnings") or []) + self.extra["warnings"]
        return result

    def var(self, name, default=None):
        return self._templar.template(self.task_vars[name]) if name in self.task_vars else default

    def load(self, *parts):
        path = os.path.join(self.role_path, *parts)
        try:  # the role's own data holds templates (ansible-core 2.19 and later template only what is trusted)
            return self._loader.load_from_file(path, trusted_as_template=True) or {}
        except TypeError:  # ansible-core before 2.19 templates any string
            return self._loader.load_from_file(path) or {}

    def spec(self, role):
        path = os.path.join("..", role, "meta", "argument_specs.yml")
        return list(self.load(path)["argument_specs"]["main"]["options"]) if os.path.exists(os.path.join(self.role_path, path)) else []

    def module(self, name, module_args, result):
        """Run a module on the host; its failure fails the task with its result. ``changed`` adds up in ``result``.

        The play's module_defaults for the collection's modules (a record_path, say) apply as they did to the role's
        tasks; what the role sets itself wins.
        """
        if name.startswith("originpulls.aop."):
            module_args = self.with_module_defaults(name, module_args)
        res = self._execute_module(module_name=name, module_args=module_args, task_vars=self.task_vars)
        if res.get("failed"):
            raise Failed(res)
        result["changed"] = result.get("changed", False) or bool(res.get("changed"))
        return res

    def with_module_defaults(self, name, args):
        try:  # ansible-core 2.19 and later
            from ansible.executor.module_common import _apply_action_arg_defaults

            return _apply_action_arg_defaults(name, self._task, args, self._templar)
        except ImportError:
            from ansible.executor.module_common import get_action_args_with_defaults

            groups = self._task._parent._play._action_groups
            return get_action_args_with_defaults(name, args, self._task.module_defaults, self._templar, action_groups=groups)

    def render(self, template, ctx):
        lookup = lookup_loader.get("ansible.builtin.template", loader=self._loader, templar=self._templar)
        variables = dict(ctx)
        if "ansible_managed" in self.task_vars:  # the operator's own header, as the template lookup honours it
            variables["ansible_managed"] = self.var("ansible_managed")
        return lookup.run([os.path.join(self.role_path, "templates", template)], variables=variables)[0]

    def stage(self, alias):
        extra = self.extra
        if alias:
            server = alias[: -len("_origin")]
        else:
            server = self.var("origin_server", "auto")
            if server == "auto":
                server = self.module("originpulls.aop.webserver_status", {"server": "auto", "config_test": False}, extra)["server"]
        self.server = server
        data = self.load("vars", "servers", server + ".yml")
        srv = data["__origin_srv"]
        known = {"origin": self.spec("origin"), server + "_origin": self.spec(server + "_origin")}
        o = plan.options(known["origin"], srv, server, alias, self.var)
        plan.refuse_unknown(list(self.task_vars), server, known)
        family = (self.task_vars.get("ansible_facts") or {}).get("os_family")
        ctx = plan.context(o, srv, family, {})
        plan.refuse(o, ctx["__origin_s"], ctx["__origin_vhosts"], alias or "origin")
        facts = {}
        if srv.get("os") and family is None:  # only a server whose paths differ per OS family needs it
            facts = self.module("ansible.legacy.setup", {"gather_subset": ["min"]}, {})["ansible_facts"]
            family = facts.get("ansible_os_family")
            ctx = plan.context(o, srv, family, {})
        absent = o["stage"] == "absent"
        if not absent:
            checked = plan.ca_check(o, os.path.join(C.DEFAULT_LOCAL_TMP, "originpulls_aop_ca"))
            if checked.get("failed"):
                raise plan.Refusal(checked["msg"])
            extra["warnings"] = checked["warnings"]  # the result says them whatever happens after (only this host has them)
            ctx = plan.context(o, srv, family, checked["ca"])
        s, ca, folder, vhosts = ctx["__origin_s"], ctx["__origin_ca"], ctx["__origin_dir"], ctx["__origin_vhosts"]
        templar = self._templar.copy_with_new_env()
        templar.available_variables = ctx
        include = ctx["__origin_srv_include"] = templar.template(data["__origin_srv_include"])
        files = templar.template(data["__origin_srv_files"])
        if absent:  # the role's own paths, deleted (Traefik's CA files are found by pattern below)
            contents = [{"path": p} for p in ([] if s.get("ca_named_by_content") else [folder + "/ca.pem"]) + [f["path"] for f in files]]
        else:  # the CA first (a snippet naming a CA file that is not there fails), then the templates
            contents = [{"path": ctx["__origin_ca_file"], "content": ca["pem"]}]
            contents += [{"path": f["path"], "content": self.render(f["template"], ctx)} for f in files]
        force_reload = False
        if s.get("enable_ssl") and not absent:  # Apache: mod_ssl the distribution's way; newly enabled, it needs a reload
            force_reload = bool(self.module("ansible.legacy.command", {"argv": s["enable_ssl"], "creates": s["ssl_module_marker"]}, extra).get("changed"))
        args = {
            "state": "absent" if absent else "present",
            "files": contents,
            "links": templar.template(data["__origin_srv_links"]),
            "includes": [dict(v, **include) for v in vhosts] if include else [],
            "test_command": templar.template(data["__origin_srv_test"]) or None,
            "builtin_test": s.get("builtin_test"),
            "reload_command": templar.template(data["__origin_srv_reload"]) if "service" in s else [],
            "reload_service": s.get("service"),
            "pid_file": s.get("pid_file"),
            "process_name": s.get("process_name"),
            "live_checks": plan.live_checks(o, vhosts, ca) if s.get("prove_by_handshake") else [],
            "settle_timeout": int(o["settle_timeout"] or 0) or int(s.get("settle_timeout", 15)),
            "server_log_path": o["server_log_path"] or None,
            "server_log_unit": s.get("log_unit"),
            "force_reload": force_reload,
            # What this origin now runs, as the local fact ansible_local.originpulls_aop (webserver_config adds the files).
            "record": None if absent else {"server": server, "stage": o["stage"], "trusted_ca_sha256": ca["sha256_fingerprints"]},
        }
        res = self.transaction = self.module("originpulls.aop.webserver_config", {k: v for k, v in args.items() if v is not None}, extra)
        if s.get("ca_named_by_content"):  # CA files named by content: remove those the options no longer name
            found = self.module("ansible.legacy.find", {"paths": [folder], "patterns": ["ca-*.pem", "ca.pem"]}, {})
            for f in found.get("files", []):
                if f["path"] != ("" if absent else ctx["__origin_ca_file"]):
                    self.module("ansible.legacy.file", {"path": f["path"], "state": "absent"}, extra)
        if absent:  # never recursively: origin_dir may be shared; it goes only when the transaction left it empty
            argv = ["find", folder, "-maxdepth", "0", "-type", "d", "-empty", "-print", "-delete"]
            gone = self.module("ansible.legacy.command", {"argv": argv, "removes": folder}, {})
            # find prints the directory it removed; 'removes' on a directory already gone says it skipped
            extra["changed"] = extra["changed"] or (gone.get("stdout") or "").strip() == folder
        res = dict(res, changed=bool(res.get("changed")) or extra["changed"])
        if facts:
            res["ansible_facts"] = facts
        return res
