"""Run a module's main() in this process, as Ansible runs it: its arguments in, its JSON result out."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic


def run_module(capsys, main, args, check_mode=False, diff=False):
    """``main()`` of a module with ``args`` as a task would give them (in check and diff mode as asked);
    returns its JSON result. ``capsys`` is the test's pytest fixture: the result is what main() printed."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:  # ansible-core 2.17
        patch_module_args = None
    capsys.readouterr()
    with pytest.raises(SystemExit):
        if patch_module_args is None:
            saved = basic._ANSIBLE_ARGS
            basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
            try:
                main()
            finally:
                basic._ANSIBLE_ARGS = saved
        else:
            with patch_module_args(args):
                main()
    return json.loads(capsys.readouterr().out)
