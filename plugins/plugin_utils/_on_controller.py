# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a read-only, pure-Python module in the worker itself when its task runs on the controller. PRIVATE.

A module delegated to localhost costs a Python interpreter, Ansible's module imports and the module's on every host
of the play (the rollout's direct request runs once per origin, the CA check once per batch); in the worker that ran
the action plugin anyway it costs a function call. The module and this path share the argument spec and the code
(module_utils), so they answer alike. Elsewhere - another host, or become on the controller (the module may need
the privileges to read a file) - the module runs as usual.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase


class OnControllerAction(ActionBase):
    """Subclasses set SPEC (the module's argument spec), SPEC_KW (mutually_exclusive, required_together, ...) and
    answer(params) -> the module's result (with failed and msg on failure)."""

    TRANSFERS_FILES = False
    SPEC: dict = {}
    SPEC_KW: dict = {}

    def answer(self, params):
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if self._connection.transport != "local" or self._play_context.become:
            result.update(self._execute_module(task_vars=task_vars))
            return result
        validated = ArgumentSpecValidator(self.SPEC, **self.SPEC_KW).validate(self._task.args)
        if validated.error_messages:  # worded as AnsibleModule words them
            unsupported = "Unsupported parameters for (%s) module: " % self._task.action
            result.update(failed=True, msg="; ".join((unsupported if isinstance(e, UnsupportedError) else "") + e.msg for e in validated.errors))
            return result
        result.update(self.answer(validated.validated_parameters))
        return result
