#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: webserver_config
short_description: Change web-server configuration as one tested transaction, then reload
version_added: 0.1.0
description:
  - The safe-change machinery of the origin roles, as one module that runs on the origin.
  - Formerly named C(originpulls.aop.origin_config); the old name still works, with a deprecation warning.
  - Writes the given files and inserts marked include lines into the operator's TLS virtual hosts, then
    runs the server's B(full) configuration test. If the test fails, every file is put back as it was
    (new files removed), the test is run again on the restored tree, and the task fails with the server's
    own error text - the running server was never told to reload, so it keeps serving its last good
    configuration.
  - If the test passes and anything changed, it reloads the server gracefully (never a restart) and waits
    until the master process has started workers on the new configuration, so the change is live when the
    task returns. Nothing changed - no test, no reload, C(changed=false).
  - With O(state=absent) the same transaction takes the collection's whole footprint off - every O(files) entry is
    deleted, every marked line of O(includes) removed (HAProxy bind options and a Caddy C(tls) line given back as the
    operator wrote them), every O(links) entry unlinked, the record on the origin removed - so the operator's files are
    byte-identical to before the first run.
  - With O(record), what was applied is recorded on the origin as an Ansible local fact (C(ansible_local)) once the
    change is tested, reloaded and live - one place to read the stage from, instead of re-deriving it.
extends_documentation_fragment:
  - originpulls.aop._attributes
options:
  state:
    description:
      - V(present) - write the files, make the links, insert the lines.
      - V(absent) - delete every O(files) entry (O(files[].content) is then optional), remove every line this collection
        inserted into the O(includes) files and give back the operator's lines it edited in place, remove every O(links)
        entry that is the expected link (anything else at that path is left alone), and remove the O(record_path) file;
        all in one transaction - test, everything put back on a failed test, reload, wait until live.
    type: str
    choices: [present, absent]
    default: present
  record:
    description:
      - "What to record on the origin about the configuration applied (free-form, for example C({server: nginx, stage: optional}))."
      - Written as JSON to O(record_path) only after the change is tested, reloaded and live, with the module's own
        additions - C(files) (the SHA-256 of each O(files) entry's content, by path), C(includes) (the managed lines in
        each O(includes) file, by path) and C(links) (by path, what they point to); these three are refused in O(record).
        No file to change - written straight away, unless the files are not those the record on the origin lists (a run
        wrote them and died before its reload) - they are then tested and reloaded first, as a change.
      - Ansible reads the file as the local fact C(ansible_local.originpulls_aop) (with the default O(record_path)).
      - A record whose content does not change is not a change. Not set - nothing is recorded (with O(state=present)).
    type: dict
  record_path:
    description:
      - Where the record is written (mode C(0644), directory created). Removed with O(state=absent).
    type: path
    default: /etc/ansible/facts.d/originpulls_aop.fact
  files:
    description: Files to write, whole (deleted with O(state=absent)).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path on the origin.
        type: path
        required: true
      content:
        description: The full content. Required with O(state=present).
        type: str
      mode:
        description: File mode.
        type: str
        default: "0644"
  links:
    description:
      - Symbolic links to make present, for layouts that enable configuration by linking (C(conf-available) to C(conf-enabled)).
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
        description:
          - The operator's file that holds the virtual host. A symbolic link (C(sites-enabled/www.conf)) is followed and the
            file it points to is edited; the link stays a link.
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
        description: The lines to insert (usually one include of the snippet). Required with O(state=present).
        type: list
        elements: str
      bind_options:
        description:
          - HAProxy only. The client-certificate options every C(bind ... ssl) line of the section gets (empty - none).
            A bind line that already carries such options of its own is refused, so nothing is silently overridden.
        type: str
        default: ""
      keep_inherited:
        description:
          - A line to insert as well when the virtual host has no O(includes[].keep_inherited_when_missing)
            directive of its own (nginx drops inherited C(access_log)s once a block declares one; Caddy - the AOP C(log)
            line for sites without a C(log) of their own).
          - With O(includes[].keep_inherited_from), only when the main configuration declares no such directive (the
            server's built-in default applies, for example C(access_log /var/log/nginx/access.log combined;)).
        type: str
      keep_inherited_when_missing:
        description:
          - The directive whose absence in the virtual host triggers O(includes[].keep_inherited) or
            O(includes[].keep_inherited_from). The collection's own marked lines do not count.
        type: str
      keep_inherited_from:
        description:
          - nginx only. The server's main configuration file (for example C(/etc/nginx/nginx.conf)). When the virtual
            host has no O(includes[].keep_inherited_when_missing) of its own, the module reads the C(http) block of this file
            and of the files it includes, and copies its O(includes[].keep_inherited_when_missing) lines (C(access_log)
            lines with their formats and parameters) into the virtual host, marked, so that its usual logs keep their
            format once the snippet declares a log of its own. An C(access_log off;) there copies nothing (the virtual host
            logged nothing but the AOP log). When the lines change in the main configuration, the copies follow on the next run.
        type: path
      state:
        description:
          - V(absent) removes every line this collection inserted into the file (also done for every entry by O(state=absent)).
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
  reload_service:
    description:
      - The server's service (for example V(nginx)). Where the origin's service manager is systemd (as the C(service_mgr)
        fact finds it, without gathering facts), the reload is C(systemctl reload <reload_service>), not O(reload_command).
    type: str
  pid_file:
    description:
      - The master process's pid file. Before anything is written the server must be running (a live master);
        otherwise the task fails without a change - start the server first, this module only reloads.
      - After a reload the module waits until the master has a worker it did not have before (the new configuration is
        live), and fails if the master died.
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
        description:
          - With O(live_checks[].expect) V(optional) or V(require), the acceptable CA names must contain this text.
          - Compared without the spaces around C(=), so C(CN = name) (OpenSSL 3.0) and C(CN=name) (OpenSSL 3.2 and later)
            match the names as either version prints them.
        type: str
        default: ""
  server_log_path:
    description:
      - The server's own log file (Traefik - C(log.filePath) of its static configuration). When a O(live_checks) handshake
        never shows the new configuration, the error lines the server wrote there since the change are quoted in the error
        (Traefik refuses a whole file-provider directory when one file in it is broken, and says why only in its log).
    type: path
  server_log_unit:
    description:
      - Without O(server_log_path) - the systemd unit whose journal holds the server's own log, read the same way
        (C(journalctl); nothing is read where it is missing).
    type: str
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
  originpulls.aop.webserver_config:
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
    record:
      server: nginx
      stage: optional

- name: Take the collection's whole footprint off again (the operator's vhost byte-identical to before)
  originpulls.aop.webserver_config:
    state: absent
    files:
      - path: /etc/nginx/originpulls-aop/www.conf
    includes:
      - path: /etc/nginx/sites-available/www.conf
        dialect: nginx
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
record:
  description: What was (or in check mode would be) recorded in O(record_path), with the module's additions.
  returned: when O(record) is set and O(state=present)
  type: dict
  sample: {"server": "nginx", "stage": "optional", "files": {"/etc/nginx/originpulls-aop/client-auth.conf": "4f1c..."},
           "includes": {"/etc/nginx/sites-enabled/www.conf": ["include /etc/nginx/originpulls-aop/client-auth.conf;"]}, "links": {}}
record_changed:
  description: Whether the record file was (or would be) written or removed.
  returned: when it changed
  type: bool
restored:
  description: Files put back after a failed test (on failure only).
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.originpulls.aop.plugins.module_utils._origin_config_spec import ARGUMENT_SPEC
from ansible_collections.originpulls.aop.plugins.module_utils._origin_liveness import systemd_manages
from ansible_collections.originpulls.aop.plugins.module_utils._origin_transaction import Transaction


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_one_of=[("test_command", "builtin_test")])
    if module.params["reload_service"] and systemd_manages(module):  # systemd reloads through its unit, as service_mgr decides
        module.params["reload_command"] = ["systemctl", "reload", module.params["reload_service"]]
    tx = Transaction(module)
    tx.plan()  # the new content of every file; a missing file or vhost fails here, before any change
    tx.require_running()  # this module reloads, it never starts a server
    tx.add_diff()
    if not tx.nothing_to_do():  # something to change (or a forced reload), and not check mode
        tx.write()  # restored if a write fails
        tx.test()  # the server's full test (or the built-in one); on failure every file is put back
        tx.reload()  # graceful, then wait for a worker on the new configuration
        tx.wait_live()  # the handshakes of live_checks; on failure every file is put back
    tx.record()  # only now that the change is live (never in check mode); removed with state absent
    module.exit_json(**tx.result)


if __name__ == "__main__":
    main()
