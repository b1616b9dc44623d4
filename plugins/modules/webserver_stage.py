#!/usr/bin/python
# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: webserver_stage
short_description: The origin role's stage contract for one origin, as one task
version_added: 0.1.0
description:
  - The engine of the role P(originpulls.aop.origin#role) (and of the server roles that are that role with the server
    set). Use the role; this module reads the role's variables - C(origin_*), and C(<server>_origin_*) standing for
    them - so its options only say where the role is and which server role called it.
  - On the controller, before any change - the web server (with C(origin_server=auto), the one that runs, through
    M(originpulls.aop.webserver_status)); refuses a misspelt C(origin_*) or C(<server>_origin_*) variable, a stage the
    server cannot express, an empty vhost list, C(clientAuth) in C(origin_tls_options_extra), and (Traefik) stage
    C(absent) over TLS options of another name than C(default); then checks the CA as M(originpulls.aop.origin_pull_ca)
    does, once per run for each distinct CA however many hosts the run has (a cache in the run's local temporary
    directory, which goes with the run).
  - On the origin - one M(originpulls.aop.webserver_config) transaction (write, the server's full test, restore on
    failure, a graceful reload, wait until live) with the files rendered from the role's templates, plus what a
    server needs around it - Apache's mod_ssl enabled the distribution's way (and a reload then, even when no file
    changes), Traefik's CA files that the options no longer name removed, and with stage C(absent) the role's
    directory removed once the transaction left it empty (never recursively).
  - One task per origin instead of a dozen keeps a stage run close to the connection floor - each task costs every
    host a worker process on the controller, whatever it does.
  - The play's C(module_defaults) for M(originpulls.aop.webserver_config) and M(originpulls.aop.webserver_status) (a
    C(record_path), say) apply to the runs this task makes, as they applied to the role's tasks; what the role sets wins.
extends_documentation_fragment:
  - originpulls.aop._attributes
attributes:
  action:
    description: Runs on the controller as an action plugin, and runs its modules on the origin.
    support: full
options:
  role_path:
    description: The directory of the role P(originpulls.aop.origin#role) (its C(vars/servers), C(templates) and C(meta)).
    type: path
    required: true
  alias:
    description:
      - The server role that called the origin role (V(nginx_origin), V(apache_origin), V(haproxy_origin), V(caddy_origin),
        V(traefik_origin)) - it sets the server, and its C(<server>_origin_*) variables stand for the C(origin_*) ones.
      - Empty - called as P(originpulls.aop.origin#role); C(origin_server) names the server or V(auto).
    type: str
    default: ""
notes:
  - The variables it reads are documented with the role (C(ansible-doc -t role originpulls.aop.origin)).
seealso:
  - module: originpulls.aop.webserver_config
  - module: originpulls.aop.origin_pull_ca
"""

EXAMPLES = r"""
# This is what the origin role runs; use the role.
- name: Put the stage of origin_stage in place
  originpulls.aop.webserver_stage:
    role_path: "{{ role_path }}"
    alias: "{{ __origin_alias | default('') }}"
  register: origin_result
"""

RETURN = r"""
server:
  description: The web server the stage was put on (named, or detected).
  returned: when the server is known
  type: str
  sample: nginx
changed:
  description:
    - Whether anything changed on the origin - the transaction, and also Apache's mod_ssl enabled, Traefik's stale CA
      files removed, stage V(absent)'s empty directory removed.
  returned: always
  type: bool
changed_files:
  description: The files the transaction changed (the other keys of M(originpulls.aop.webserver_config)'s result come with it).
  returned: when the transaction ran
  type: list
  elements: str
record:
  description: What is now recorded on the origin (M(originpulls.aop.webserver_config)'s C(record)).
  returned: when the transaction ran and the stage is not absent
  type: dict
"""
