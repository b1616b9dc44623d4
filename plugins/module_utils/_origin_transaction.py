# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webserver_config transaction: plan, write, test, restore, reload, wait until live.

PRIVATE to the collection. Imports nothing from Ansible; it drives the AnsibleModule it is given
(``fail_json``, ``run_command``, ``atomic_move``) and fails before any change when it can.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible_collections.originpulls.aop.plugins.module_utils._origin_config import DIALECTS, ConfigEditError, ensure_lines, managed_in, remove_marked
from ansible_collections.originpulls.aop.plugins.module_utils._origin_liveness import (
    children,
    errors_logged,
    log_mark,
    master_pid,
    processes,
    wait_live,
    wait_new_worker,
)
from ansible_collections.originpulls.aop.plugins.module_utils._origin_traefik import traefik_dynamic_test

NOT_RUNNING = "the server is not running (%s): start it first - this role only reloads, it never starts or restarts a server. Nothing was changed."


def read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except OSError:
        return None


RECORD_KEYS = ("files", "includes", "links")  # what the module adds to the record itself


def write(module, path, content, mode, like=None):
    """Write ``content`` atomically; ``mode`` (octal string), else the mode and owner of ``like`` (a stat) or of the file now there."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    st = like or (os.stat(path) if mode is None and os.path.exists(path) else None)
    tmp = "%s.originpulls-aop.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as fh:
        fh.write(content.encode("utf-8"))
    module.atomic_move(tmp, path)
    # atomic_move gives a new file the default mode: set the wanted one (or the old one, owner too) afterwards.
    if mode is not None:
        os.chmod(path, int(mode, 8))
    elif st is not None:
        os.chmod(path, st.st_mode & 0o7777)
        try:
            os.chown(path, st.st_uid, st.st_gid)
        except OSError:
            pass


class Transaction:
    """One webserver_config run. Each step fails the module (after putting files back where it wrote any)."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.changes = []  # (path, old or None, new, mode)
        self.links = []
        self.written = []
        self.linked = []
        self.stats = {}
        self.record_old = self.record_new = None
        self.unconfirmed = False  # the files are as planned, but no record says they went live
        self.result = dict(changed=False, changed_files=[], reloaded=False)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, **dict(self.result, **extra))

    # 1. Plan: the new content of every file (None: deleted), from what is on disk now.
    def plan(self):
        absent = self.p["state"] == "absent"
        plan = {}  # path -> (old or None, new or None, mode)
        for f in self.p["files"]:
            if not absent and f["content"] is None:
                self.fail("files[].content is required with state present (%s). Nothing was changed." % f["path"])
            plan[f["path"]] = (read(f["path"]), None if absent else f["content"], f["mode"])
        for inc in self.p["includes"]:
            path = os.path.realpath(inc["path"])  # edit a symlinked vhost file where it lives; never replace the link
            old = plan[path][1] if path in plan else read(path)
            original = plan[path][0] if path in plan else old
            if old is None and absent:
                continue  # a file that is gone holds none of the collection's lines
            if old is None:
                self.fail("%s does not exist: name the operator's file that holds the TLS virtual host" % inc["path"])
            try:
                if absent or inc["state"] == "absent":
                    new = remove_marked(old)
                elif inc["lines"] is None:
                    raise ConfigEditError("includes[].lines is required with state present (%s). Nothing was changed." % inc["path"])
                else:
                    new = ensure_lines(
                        old,
                        inc["dialect"],
                        inc["lines"],
                        server_name=inc["server_name"],
                        path=inc["path"],
                        unless_directive=inc["keep_inherited_when_missing"],
                        extra_line=self.inherited(inc),
                        bind_options=inc["bind_options"],
                    )
            except ConfigEditError as exc:
                self.fail(str(exc))
            plan[path] = (original, new, None)
        self.stats = {path: os.stat(path) for path, (old, _n, _m) in plan.items() if old is not None}
        self.changes = [(path, old, new, mode) for path, (old, new, mode) in plan.items() if old != new]
        if absent:  # only the links this collection made: a link elsewhere or a file of the operator's stays
            self.links = [ln for ln in self.p["links"] if os.path.islink(ln["path"]) and os.readlink(ln["path"]) == ln["src"]]
        else:
            self.links = [ln for ln in self.p["links"] if not (os.path.islink(ln["path"]) and os.readlink(ln["path"]) == ln["src"])]
        self.result["changed"] = bool(self.changes or self.links)
        self.result["changed_files"] = [c[0] for c in self.changes] + [ln["path"] for ln in self.links]
        self.plan_record({path: new for path, (_old, new, _m) in plan.items()})

    def inherited(self, inc):
        """The lines a virtual host without its own O(includes[].keep_inherited_when_missing) gets, to keep what it inherited."""
        if inc["keep_inherited_from"] and inc["keep_inherited_when_missing"]:
            lines = DIALECTS[inc["dialect"]].inherited(inc["keep_inherited_from"], inc["keep_inherited_when_missing"])
            if lines is not None:
                return lines
        return inc["keep_inherited"]

    def plan_record(self, content):
        """What the record on the origin (an Ansible local fact) will hold once the change is live; None: no record."""
        path = self.p["record_path"]
        self.record_old = read(path)
        self.record_new = self.record_old
        if self.p["state"] == "absent":
            self.record_new = None
            self.unconfirmed = self.record_old is not None  # files already gone, but the server may still run them
        elif self.p["record"] is not None:
            clash = sorted(set(self.p["record"]) & set(RECORD_KEYS))
            if clash:
                self.fail("record must not set %s: the module records them itself. Nothing was changed." % ", ".join(clash))
            files = {f["path"]: hashlib.sha256(f["content"].encode("utf-8")).hexdigest() for f in self.p["files"]}
            includes = {}
            for inc in self.p["includes"]:
                real = os.path.realpath(inc["path"])
                includes[inc["path"]] = managed_in(content.get(real) or "")
            doc = dict(self.p["record"], files=files, includes=includes, links={ln["path"]: ln["src"] for ln in self.p["links"]})
            self.result["record"] = doc
            self.record_new = json.dumps(doc, indent=2, sort_keys=True) + "\n"
            try:
                old = json.loads(self.record_old) if self.record_old is not None else None
            except ValueError:
                old = None
            if old == doc:
                self.record_new = self.record_old  # the same record, maybe written another way: not a change
            # Files already as planned that the record does not list as live: a run wrote them and died before its
            # reload (or its record). They may not be live, so they are tested and reloaded like a change.
            self.unconfirmed = not isinstance(old, dict) or any(old.get(k) != doc[k] for k in RECORD_KEYS)
        if self.record_new != self.record_old:
            self.result["changed"] = True
            self.result["record_changed"] = True

    def add_diff(self):
        if self.module._diff:  # pylint: disable=protected-access
            diff = [dict(before_header=path, after_header=path, before=old or "", after=new or "") for path, old, new, _m in self.changes]
            for ln in self.links:
                arrow = "-> %s\n" % ln["src"]
                before, after = (arrow, "") if self.p["state"] == "absent" else ("", arrow)
                diff.append(dict(before_header=ln["path"], after_header=ln["path"], before=before, after=after))
            if self.record_new != self.record_old:
                path = self.p["record_path"]
                diff.append(dict(before_header=path, after_header=path, before=self.record_old or "", after=self.record_new or ""))
            self.result["diff"] = diff

    def require_running(self):
        if self.p["pid_file"] and master_pid(self.p["pid_file"]) is None:
            self.fail(NOT_RUNNING % ("no live master process in %s" % self.p["pid_file"]))
        if self.p["process_name"] and not processes(self.p["process_name"]):
            self.fail(NOT_RUNNING % ("no process named %r" % self.p["process_name"]))

    def nothing_to_do(self):
        """No file or link to change, or check mode. A new record alone is no reason to test or reload, unless the
        files it lists are not the ones the old record said were live (``unconfirmed``)."""
        return (not (self.changes or self.links or self.unconfirmed) and not self.p["force_reload"]) or self.module.check_mode

    # 2. Write, test; restore on failure.
    def write(self):
        self.log_since = time.time() if not self.p["server_log_path"] else log_mark(self.p["server_log_path"])
        absent = self.p["state"] == "absent"
        for link in self.links:
            if os.path.lexists(link["path"]) and not absent:
                self.fail("%s exists and is not the expected link to %s; move it away first. Nothing was changed." % (link["path"], link["src"]))
        try:
            for path, _old, new, mode in self.changes:
                self.written.append(path)
                if new is None:
                    os.unlink(path)
                else:
                    write(self.module, path, new, mode)
            for link in self.links:
                self.linked.append(link)
                if absent:
                    os.unlink(link["path"])
                else:
                    os.symlink(link["src"], link["path"])
        except OSError as exc:
            restored = self.restore()
            self.fail("writing the configuration failed (%s); %d file(s) restored" % (exc, len(restored)), restored=restored)

    def run_test(self):
        if self.p["builtin_test"] == "traefik_dynamic":
            rc, out = traefik_dynamic_test([c[0] for c in self.changes if c[2] is not None])  # a deleted file is not checked
            if rc != 0 or not self.p["test_command"]:
                return rc, out
        rc, out, err = self.module.run_command(self.p["test_command"])
        return rc, (out + err).strip()

    def test(self):
        rc, self.result["test_output"] = self.run_test()
        if rc == 0:
            return
        restored = self.restore()
        rc2, out2 = self.run_test()
        state = (
            "the restored configuration passes the test"
            if rc2 == 0
            else "the restored configuration FAILS the test too (it was broken before this change): %s" % out2
        )
        self.fail(
            "configuration test %r failed, so nothing was reloaded and the server keeps serving its last good configuration. "
            "Every changed file was put back (%s); %s. The test said: %s"
            % (" ".join(self.p["test_command"] or [self.p["builtin_test"]]), ", ".join(restored), state, self.result["test_output"]),
            restored=restored,
        )

    # 3. Reload gracefully and wait until it is live.
    def reload(self):
        before_master = master_pid(self.p["pid_file"]) if self.p["pid_file"] else None
        before_workers = children(before_master) if before_master else set()
        if self.p["reload_command"]:
            rc, out, err = self.module.run_command(self.p["reload_command"])
            if rc != 0:
                # The server still runs what it ran: put the files back too, so that no later reload (logrotate,
                # a package upgrade) applies the new stage behind the rollout's back.
                restored = self.restore()
                self.fail(
                    "reload %r failed after a passing configuration test: %s. Every changed file was put back (%s), "
                    "so the files match the configuration the server still serves."
                    % (" ".join(self.p["reload_command"]), (out + err).strip(), ", ".join(restored)),
                    restored=restored,
                )
            self.result["reloaded"] = True
        if self.p["pid_file"]:
            ok, master = wait_new_worker(self.p["pid_file"], before_workers, self.p["settle_timeout"])
            if not ok:
                restored, again = self.restore_and_reload()
                self.fail(
                    "the server was reloaded but no worker on the new configuration appeared within %ss (master pid %s). "
                    "Every changed file was put back (%s)%s." % (self.p["settle_timeout"], master, ", ".join(restored), again),
                    restored=restored,
                )

    def restore_and_reload(self):
        """Put the files back and, when the server was reloaded onto them, reload it again onto its last good ones."""
        restored = self.restore()
        if not (self.written or self.linked):  # an unconfirmed run: the files were already in place, and are now what the server runs
            return restored, " - none had changed: they were in place from a run that never recorded them as live, and the server runs them now"
        if not (self.result.get("reloaded") and self.p["reload_command"]):
            return restored, ""
        rc, out, err = self.module.run_command(self.p["reload_command"])
        if rc != 0:
            return restored, " but reloading onto them failed too (%s): check the server" % (out + err).strip()
        return restored, " and the server was reloaded onto them, so it serves its last good configuration"

    def wait_live(self):
        self.result["live"] = []
        for check in self.p["live_checks"]:
            ok, seen = wait_live(self.module, check, self.p["settle_timeout"])
            if not ok:
                logged = errors_logged(self.module, self.log_since, self.p["server_log_path"], self.p["server_log_unit"])
                restored, again = self.restore_and_reload()
                self.fail(
                    "the server did not apply the new configuration within %ss: a TLS handshake to %s:%s (SNI %s) shows %s, not "
                    "client-certificate request %r (%s). Every changed file was put back (%s)%s."
                    % (
                        self.p["settle_timeout"],
                        check["host"],
                        check["port"],
                        check["server_name"],
                        seen,
                        check["expect"],
                        "the server logged: %s" % " | ".join(logged) if logged else "is the name served with these TLS settings? see the server's own log",
                        ", ".join(restored),
                        again,
                    ),
                    restored=restored,
                )
            self.result["live"].append("%s:%s %s" % (check["server_name"], check["port"], seen))

    def restore(self):
        restored = []
        for link in self.linked:
            try:
                if os.path.lexists(link["path"]):
                    os.unlink(link["path"])
                if self.p["state"] == "absent":
                    os.symlink(link["src"], link["path"])
                restored.append(link["path"])
            except OSError:
                pass
        for path, old, _new, _mode in self.changes:
            if path not in self.written:
                continue
            if old is None:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            else:
                write(self.module, path, old, None, like=self.stats.get(path))
            restored.append(path)
        return restored

    # 4. Record what is live, as an Ansible local fact (removed with state absent).
    def record(self):
        if self.module.check_mode or self.record_new == self.record_old:
            return
        path = self.p["record_path"]
        try:
            if self.record_new is None:
                os.unlink(path)
            else:
                write(self.module, path, self.record_new, "0644")
        except OSError as exc:
            self.fail("the change is live, but recording it in %s failed: %s" % (path, exc))
