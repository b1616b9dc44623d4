# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""origin_tls_client_auth_info: on the controller (as the rollout runs it, before every switch), the zone is read in
the worker, not in a new Python interpreter (not on macOS); elsewhere the module runs as usual."""

from __future__ import annotations

import sys

from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_info import INFO_OPTIONS, cloudflare_info
from ansible_collections.originpulls.aop.plugins.module_utils._cloudflare_module import CloudflareModule, cloudflare_module_spec
from ansible_collections.originpulls.aop.plugins.plugin_utils._on_controller import OnControllerAction, run_module_code


class ActionModule(OnControllerAction):
    SPEC, SPEC_KW = cloudflare_module_spec(INFO_OPTIONS)
    # requests looks up the system's proxy settings; on macOS that lookup is not safe in a process forked from the
    # multithreaded controller (the worker dies): there the module runs in its own interpreter.
    IN_WORKER = sys.platform != "darwin"

    def answer(self, params):
        return run_module_code(lambda module: cloudflare_info(CloudflareModule(module=module)), params, self._task.check_mode, self._task.diff)
