# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument spec of the webserver_config module (documented in its DOCUMENTATION).

PRIVATE to the collection. Imports nothing from Ansible.
"""

from __future__ import annotations


def _list_of(**options):
    """A list option whose elements are dicts with these sub-options; empty by default."""
    return dict(type="list", elements="dict", default=[], options=options)


ARGUMENT_SPEC = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    record=dict(type="dict"),
    record_path=dict(type="path", default="/etc/ansible/facts.d/originpulls_aop.fact"),
    files=_list_of(path=dict(type="path", required=True), content=dict(type="str"), mode=dict(type="str", default="0644")),
    includes=_list_of(
        path=dict(type="path", required=True),
        dialect=dict(type="str", required=True, choices=["nginx", "apache", "haproxy", "caddy"]),
        server_name=dict(type="str"),
        lines=dict(type="list", elements="str"),
        keep_inherited=dict(type="str"),
        keep_inherited_when_missing=dict(type="str"),
        keep_inherited_from=dict(type="path"),
        bind_options=dict(type="str", default=""),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    ),
    links=_list_of(path=dict(type="path", required=True), src=dict(type="path", required=True)),
    test_command=dict(type="list", elements="str"),
    builtin_test=dict(type="str", choices=["traefik_dynamic"]),
    reload_command=dict(type="list", elements="str", default=[]),
    reload_service=dict(type="str"),
    pid_file=dict(type="path"),
    process_name=dict(type="str"),
    live_checks=_list_of(
        port=dict(type="int", required=True),
        host=dict(type="str", default="127.0.0.1"),
        server_name=dict(type="str", required=True),
        expect=dict(type="str", required=True, choices=["off", "optional", "require"]),
        ca_names_contains=dict(type="str", default=""),
    ),
    server_log_path=dict(type="path"),
    server_log_unit=dict(type="str"),
    settle_timeout=dict(type="int", default=15),
    force_reload=dict(type="bool", default=False),
)
