#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: origin_config
short_description: Change web-server configuration as one tested transaction, then reload
version_added: 0.1.0
description:
  - The safe-change machinery of the origin roles, as one module that runs on the origin.
  - Writes the given files and inserts marked include lines into the operator's TLS virtual hosts, then
    runs the server's B(full) configuration test. If the test fails, every file is put back as it was
    (new files removed), the test is run again on the restored tree, and the task fails with the server's
    own error text - the running server was never told to reload, so it keeps serving its last good
    configuration.
  - If the test passes and anything changed, it reloads the server gracefully (never a restart) and waits
    until the master process has started workers on the new configuration, so the change is live when the
    task returns.
  - Nothing changed - no test, no reload, C(changed=false).
author: originpulls.aop maintainers (@originpulls)
extends_documentation_fragment:
  - originpulls.aop._attributes
options:
  files:
    description: Files to write, whole.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path on the origin.
        type: path
        required: true
      content:
        description: The full content.
        type: str
        required: true
      mode:
        description: File mode.
        type: str
        default: "0644"
  links:
    description:
      - Symbolic links to make present, for layouts that enable configuration by linking (Debian's
        C(conf-available) to C(conf-enabled)). Part of the same transaction.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The link.
        type: path
        required: true
      src:
        description: What it points to.
        type: path
        required: true
  includes:
    description:
      - Lines to make present at the end of TLS virtual hosts in the operator's own files, each marked with
        C(# originpulls.aop). Nothing else in those files is touched.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The operator's file that holds the virtual host.
        type: path
        required: true
      dialect:
        description:
          - Configuration syntax.
          - V(haproxy) - the TLS virtual host is a C(frontend) or C(listen) section with a C(bind ... ssl) line;
            O(includes[].lines) go at the end of the section and O(includes[].bind_options) onto each C(bind ... ssl) line.
          - V(caddy) - the TLS virtual host is a site block; O(includes[].lines) go inside the site's C(tls) block
            (opened on the operator's C(tls) line, or added, when there is none).
        type: str
        choices: [nginx, apache, haproxy, caddy]
        required: true
      server_name:
        description:
          - Only the TLS virtual host with this name (C(server_name), C(ServerName) or C(ServerAlias); the section
            name for HAProxy; a site address for Caddy).
          - Empty - every TLS virtual host in the file.
        type: str
      lines:
        description: The lines to insert (usually one include of the snippet).
        type: list
        elements: str
        required: true
      bind_options:
        description:
          - HAProxy only. The client-certificate options every C(bind ... ssl) line of the section gets (empty - none).
            A bind line that already carries such options of its own is refused, so nothing is silently overridden.
        type: str
        default: ""
      keep_inherited:
        description:
          - A line to insert as well when the virtual host has no O(includes[].keep_inherited_when_missing)
            directive of its own (nginx drops inherited C(access_log)s once a block declares one).
        type: str
      keep_inherited_when_missing:
        description: The directive whose absence triggers O(includes[].keep_inherited).
        type: str
      state:
        description: V(absent) removes every line this collection inserted into the file.
        type: str
        choices: [present, absent]
        default: present
  test_command:
    description:
      - The server's full configuration test, as an argument list (for example C([nginx, -t])).
      - Required unless O(builtin_test) is set.
    type: list
    elements: str
  builtin_test:
    description:
      - A test this module runs itself, for servers without a configuration-test command.
      - V(traefik_dynamic) - every written C(.yml) file must parse (the Traefik role writes JSON, which is YAML), each
        C(tls.options.*.clientAuth) must name a known C(clientAuthType) and C(caFiles) that exist and hold a PEM
        certificate (Traefik answers a missing CA file by failing every handshake on the routers that use the options).
    type: str
    choices: [traefik_dynamic]
  reload_command:
    description:
      - The graceful reload, as an argument list (for example C([systemctl, reload, nginx])).
      - Empty - the server picks up changed files itself (Traefik's file provider with C(watch)); use O(live_checks)
        to know when it did.
    type: list
    elements: str
    default: []
  pid_file:
    description:
      - The master process's pid file. Before anything is written the server must be running (a live master);
        otherwise the task fails without a change - start the server first, this module only reloads.
      - After a reload the module waits until the master has a worker it did
        not have before (the new configuration is live), and fails if the master died.
    type: path
  process_name:
    description:
      - For servers without a pid file (Caddy, Traefik) - the process name (C(/proc/<pid>/comm)) that must be running
        before anything is written.
    type: str
  live_checks:
    description:
      - After the reload, wait until a TLS handshake to each of these (C(openssl s_client) on the origin, no client
        certificate) shows the expected client-certificate request. If one does not within O(settle_timeout), every
        file is put back and the task fails.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: The TLS port.
        type: int
        required: true
      host:
        description: The address to connect to.
        type: str
        default: 127.0.0.1
      server_name:
        description: The SNI name.
        type: str
        required: true
      expect:
        description:
          - V(off) - no certificate is requested; V(optional) - one is requested (the handshake without one completes);
            V(require) - one is requested and the handshake without one is refused.
        type: str
        choices: ["off", optional, require]
        required: true
      ca_names_contains:
        description: With O(live_checks[].expect) V(optional) or V(require), the acceptable CA names must contain this text.
        type: str
        default: ""
  settle_timeout:
    description: Seconds to wait for new workers (or for O(live_checks)) after a reload.
    type: int
    default: 15
  force_reload:
    description: Reload even when no file changed (the test still runs first).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Put a vhost's AOP snippet in place, test, reload
  originpulls.aop.origin_config:
    files:
      - path: /etc/nginx/originpulls-aop/www.conf
        content: |
          ssl_client_certificate /etc/nginx/originpulls-aop/ca.pem;
          ssl_verify_client optional;
    includes:
      - path: /etc/nginx/sites-available/www.conf
        dialect: nginx
        server_name: www.example.com
        lines: ["include /etc/nginx/originpulls-aop/www.conf;"]
    test_command: [nginx, -t]
    reload_command: [systemctl, reload, nginx]
    pid_file: /run/nginx.pid
"""

RETURN = r"""
changed_files:
  description: The files that were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
test_output:
  description: Output of the configuration test (when it ran).
  returned: when the test ran
  type: str
reloaded:
  description: Whether the server was reloaded (false for servers that pick up changed files themselves).
  returned: always
  type: bool
live:
  description: What the handshakes of O(live_checks) showed once they matched.
  returned: when O(live_checks) ran
  type: list
  elements: str
restored:
  description: Files put back after a failed test (on failure only).
  returned: failure
  type: list
  elements: str
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._origin_config import (
    ConfigEditError,
    ensure_lines,
    processes,
    remove_marked,
    traefik_dynamic_test,
)


def read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except OSError:
        return None


def write(module, path, content, mode):
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    tmp = "%s.originpulls-aop.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as fh:
        fh.write(content.encode("utf-8"))
    if mode is not None:
        os.chmod(tmp, int(mode, 8))
    elif os.path.exists(path):
        st = os.stat(path)
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
    module.atomic_move(tmp, path)


def children(pid):
    """Pids whose parent is ``pid``."""
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.add(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return out


def master_pid(pid_file):
    try:
        with open(pid_file) as fh:
            pid = int(fh.read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(path=dict(type="path", required=True), content=dict(type="str", required=True), mode=dict(type="str", default="0644")),
            ),
            includes=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    path=dict(type="path", required=True),
                    dialect=dict(type="str", required=True, choices=["nginx", "apache", "haproxy", "caddy"]),
                    server_name=dict(type="str"),
                    lines=dict(type="list", elements="str", required=True),
                    keep_inherited=dict(type="str"),
                    keep_inherited_when_missing=dict(type="str"),
                    bind_options=dict(type="str", default=""),
                    state=dict(type="str", default="present", choices=["present", "absent"]),
                ),
            ),
            links=dict(type="list", elements="dict", default=[], options=dict(path=dict(type="path", required=True), src=dict(type="path", required=True))),
            test_command=dict(type="list", elements="str"),
            builtin_test=dict(type="str", choices=["traefik_dynamic"]),
            reload_command=dict(type="list", elements="str", default=[]),
            pid_file=dict(type="path"),
            process_name=dict(type="str"),
            live_checks=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    port=dict(type="int", required=True),
                    host=dict(type="str", default="127.0.0.1"),
                    server_name=dict(type="str", required=True),
                    expect=dict(type="str", required=True, choices=["off", "optional", "require"]),
                    ca_names_contains=dict(type="str", default=""),
                ),
            ),
            settle_timeout=dict(type="int", default=15),
            force_reload=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        required_one_of=[("test_command", "builtin_test")],
    )
    p = module.params

    # 1. Plan: the new content of every file, from what is on disk now.
    plan = {}  # path -> (old or None, new, mode)
    for f in p["files"]:
        plan[f["path"]] = (read(f["path"]), f["content"], f["mode"])
    for inc in p["includes"]:
        old = plan[inc["path"]][1] if inc["path"] in plan else read(inc["path"])
        original = plan[inc["path"]][0] if inc["path"] in plan else old
        if old is None:
            module.fail_json(msg="%s does not exist: name the operator's file that holds the TLS virtual host" % inc["path"])
        try:
            if inc["state"] == "absent":
                new = remove_marked(old)
            else:
                new = ensure_lines(
                    old,
                    inc["dialect"],
                    inc["lines"],
                    server_name=inc["server_name"],
                    path=inc["path"],
                    unless_directive=inc["keep_inherited_when_missing"],
                    extra_line=inc["keep_inherited"],
                    bind_options=inc["bind_options"],
                )
        except ConfigEditError as exc:
            module.fail_json(msg=str(exc))
        plan[inc["path"]] = (original, new, None)
    changes = [(path, old, new, mode) for path, (old, new, mode) in plan.items() if old != new]
    links = [link for link in p["links"] if not (os.path.islink(link["path"]) and os.readlink(link["path"]) == link["src"])]
    result = dict(changed=bool(changes or links), changed_files=[c[0] for c in changes] + [link["path"] for link in links], reloaded=False)
    if p["pid_file"] and master_pid(p["pid_file"]) is None:
        module.fail_json(
            msg="the server is not running (no live master process in %s): start it first - this role only reloads, "
            "it never starts or restarts a server. Nothing was changed." % p["pid_file"],
            **result,
        )
    if p["process_name"] and not processes(p["process_name"]):
        module.fail_json(
            msg="the server is not running (no process named %r): start it first - this role only reloads, "
            "it never starts or restarts a server. Nothing was changed." % p["process_name"],
            **result,
        )
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = [dict(before_header=path, after_header=path, before=old or "", after=new) for path, old, new, _m in changes]
        result["diff"] += [dict(before_header=link["path"], after_header=link["path"], before="", after="-> %s\n" % link["src"]) for link in links]
    if (not result["changed"] and not p["force_reload"]) or module.check_mode:
        module.exit_json(**result)

    # 2. Write, test; restore on failure.
    written = []
    linked = []
    try:
        for path, _old, new, mode in changes:
            write(module, path, new, mode)
            written.append(path)
        for link in links:
            if os.path.lexists(link["path"]):
                module.fail_json(msg="%s exists and is not the expected link to %s; move it away first" % (link["path"], link["src"]))
            os.symlink(link["src"], link["path"])
            linked.append(link["path"])
    except OSError as exc:
        restored = restore(module, changes, written, linked)
        module.fail_json(msg="writing the configuration failed (%s); %d file(s) restored" % (exc, len(restored)), restored=restored, **result)
    rc, out = run_test(module, p, [c[0] for c in changes])
    result["test_output"] = out
    if rc != 0:
        restored = restore(module, changes, written, linked)
        rc2, out2 = run_test(module, p, [c[0] for c in changes])
        state = (
            "the restored configuration passes the test"
            if rc2 == 0
            else "the restored configuration FAILS the test too (it was broken before this change): %s" % out2
        )
        module.fail_json(
            msg="configuration test %r failed, so nothing was reloaded and the server keeps serving its last good configuration. "
            "Every changed file was put back (%s); %s. The test said: %s"
            % (" ".join(p["test_command"] or [p["builtin_test"]]), ", ".join(restored), state, result["test_output"]),
            restored=restored,
            **result,
        )

    # 3. Reload gracefully and wait until it is live.
    before_master = master_pid(p["pid_file"]) if p["pid_file"] else None
    before_workers = children(before_master) if before_master else set()
    if p["reload_command"]:
        rc, out, err = module.run_command(p["reload_command"])
        if rc != 0:
            module.fail_json(msg="reload %r failed after a passing configuration test: %s" % (" ".join(p["reload_command"]), (out + err).strip()), **result)
        result["reloaded"] = True
    if p["pid_file"]:
        deadline = time.time() + p["settle_timeout"]
        while True:
            master = master_pid(p["pid_file"])
            if master and (children(master) - before_workers):
                break
            if time.time() > deadline:
                module.fail_json(
                    msg="the server was reloaded but no worker on the new configuration appeared within %ss (master pid %s)" % (p["settle_timeout"], master),
                    **result,
                )
            time.sleep(0.1)
    result["live"] = []
    for check in p["live_checks"]:
        ok, seen = wait_live(module, check, p["settle_timeout"])
        if not ok:
            restored = restore(module, changes, written, linked)
            module.fail_json(
                msg="the server did not apply the new configuration within %ss: a TLS handshake to %s:%s (SNI %s) shows %s, not "
                "client-certificate request %r (is the name served with these TLS settings? see the server's own log). Every changed "
                "file was put back (%s), so it keeps serving its last good configuration."
                % (p["settle_timeout"], check["host"], check["port"], check["server_name"], seen, check["expect"], ", ".join(restored)),
                restored=restored,
                **result,
            )
        result["live"].append("%s:%s %s" % (check["server_name"], check["port"], seen))
    module.exit_json(**result)


def run_test(module, p, paths):
    if p["builtin_test"] == "traefik_dynamic":
        rc, out = traefik_dynamic_test(paths)
        if rc != 0 or not p["test_command"]:
            return rc, out
    rc, out, err = module.run_command(p["test_command"])
    return rc, (out + err).strip()


def handshake(module, check):
    """What an openssl handshake without a client certificate shows: off, optional, require or a description."""
    cmd = [
        module.get_bin_path("openssl", required=True),
        "s_client",
        "-connect",
        "%s:%s" % (check["host"], check["port"]),
        "-servername",
        check["server_name"],
        "-tls1_2",
    ]
    limit = module.get_bin_path("timeout")
    if limit:
        cmd = [limit, "10"] + cmd
    rc, out, err = module.run_command(cmd, data="Q\n", binary_data=True)
    text = out + err
    if "No client certificate CA names sent" in text and "Client Certificate Types" not in text and "alert" not in text and "Cipher is" in text:
        return "off", text
    if "Acceptable client certificate CA names" in text:
        names = text.split("Acceptable client certificate CA names", 1)[1].split("Client Certificate Types", 1)[0]
        if check["ca_names_contains"] and check["ca_names_contains"] not in names:
            return "requested from other CAs (%s)" % " ".join(names.split()), text
        return ("require" if "alert" in text else "optional"), text
    return "no handshake (rc %s): %s" % (rc, " ".join(text.split())[:300]), text


def wait_live(module, check, timeout):
    deadline = time.time() + timeout
    while True:
        seen, _text = handshake(module, check)
        if seen == check["expect"]:
            return True, seen
        if time.time() > deadline:
            return False, seen
        time.sleep(0.3)


def restore(module, changes, written, linked):
    restored = []
    for path in linked:
        try:
            os.unlink(path)
            restored.append(path)
        except OSError:
            pass
    for path, old, _new, _mode in changes:
        if path not in written:
            continue
        if old is None:
            try:
                os.unlink(path)
            except OSError:
                pass
        else:
            write(module, path, old, None)
        restored.append(path)
    return restored


if __name__ == "__main__":
    main()
