"""The AWX examples users load as they are: the custom credential type (examples/awx/credential_type.yml),
and the playbook that creates the phase workflow (examples/awx/enable_aop_workflow.yml) - syntax-checked, and
every awx.awx task's arguments checked against the real modules' argument specs (tests/unit/files/awx/,
extracted from the AWX repository at the commit recorded there; regenerate_argspecs.py renews them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(REPO, "examples", "awx", "credential_type.yml")
WORKFLOW = os.path.join(REPO, "examples", "awx", "enable_aop_workflow.yml")
PHASE_PLAYBOOK = os.path.join(REPO, "playbooks", "enable_aop_phase.yml")
AWX_FILES = os.path.join(REPO, "tests", "unit", "files", "awx")
# What the credential type API accepts (awx/main/models/credential: the inputs schema).
FIELD_KEYS = {"id", "label", "type", "secret", "help_text", "multiline", "format", "choices", "default", "ask_at_runtime"}
FIELD_TYPES = {"string", "boolean"}
INJECTOR_KINDS = {"env", "extra_vars", "file"}


def load():
    with open(CREDENTIAL_TYPE) as fh:
        return yaml.safe_load(fh)


def template_names(value):
    """Names a Jinja injector template reads: {{ name }} and {{ name | filter }}."""
    return set(re.findall(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)", value))


def test_credential_type_shape():
    data = load()
    assert set(data) <= {"name", "description", "kind", "inputs", "injectors"}, data.keys()
    assert data["name"] and data["kind"] == "cloud"
    fields = data["inputs"]["fields"]
    ids = [f["id"] for f in fields]
    assert len(ids) == len(set(ids)), "duplicate input ids: %s" % ids
    for field in fields:
        assert set(field) <= FIELD_KEYS, field
        assert field["type"] in FIELD_TYPES, field
        assert field["label"], field
    assert set(data["inputs"]["required"]) <= set(ids)
    assert set(data["injectors"]) <= INJECTOR_KINDS, data["injectors"].keys()


def test_credential_type_injects_the_token_the_modules_read():
    data = load()
    assert set(data["injectors"]["env"]) == {"CLOUDFLARE_API_TOKEN"}
    # Read by plugins/module_utils/_cloudflare.py when no api_token is given.
    with open(os.path.join(REPO, "plugins", "module_utils", "_cloudflare.py")) as fh:
        assert '"CLOUDFLARE_API_TOKEN"' in fh.read()


def test_every_injector_reads_a_defined_input_and_the_token_is_secret():
    data = load()
    fields = {f["id"]: f for f in data["inputs"]["fields"]}
    used = set()
    for kind, entries in data["injectors"].items():
        for name, value in entries.items():
            names = template_names(value)
            assert names, "%s.%s injects no input: %r" % (kind, name, value)
            assert names <= set(fields), "%s.%s reads undefined inputs %s" % (kind, name, names - set(fields))
            used |= names
    token_inputs = template_names(data["injectors"]["env"]["CLOUDFLARE_API_TOKEN"])
    assert all(fields[i].get("secret") is True for i in token_inputs), "the token input must be secret: %s" % token_inputs
    assert all(i in data["inputs"]["required"] for i in token_inputs)
    assert used == set(fields), "inputs no injector uses: %s" % (set(fields) - used)


# ------------------------------------------------------------------ the phase workflow (awx.awx)
def argspecs():
    with open(os.path.join(AWX_FILES, "argspecs.json")) as fh:
        return json.load(fh)


_LOADER_READY = []


def awx_tasks(path):
    """(task, module, loop items or None, play vars) for every awx.awx task, loaded as ansible-playbook loads YAML."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader

    if not _LOADER_READY:
        init_plugin_loader()  # the lookups and filters the example uses, as ansible-playbook finds them
        _LOADER_READY.append(True)
    loader = DataLoader()
    loader.set_basedir(os.path.dirname(path))
    try:  # ansible-core >= 2.19 templates only what was loaded as trusted, as ansible-playbook loads a playbook
        plays = loader.load_from_file(path, trusted_as_template=True)
    except TypeError:
        plays = loader.load_from_file(path)
    out = []
    for play in plays:
        for task in play.get("tasks", []):
            modules = [k for k in task if str(k).startswith("awx.awx.")]
            if modules:
                out.append((task, modules[0].split(".", 2)[2], play.get("vars", {}), loader))
    return out


def rendered_args(task, module, play_vars, loader):
    """The task's arguments for each loop item, templated as at run time (omit dropped)."""
    from ansible.template import Templar

    variables = dict(play_vars)
    variables.update(task.get("vars", {}))
    variables["omit"] = "__omit_place_holder__aop"
    templar = Templar(loader=loader, variables=variables)
    items = templar.template(task["loop"]) if "loop" in task else [None]
    out = []
    for item in items:
        if item is not None:
            templar = Templar(loader=loader, variables=dict(variables, item=item))
        args = templar.template(task[module if module in task else "awx.awx." + module])
        out.append({k: v for k, v in args.items() if v != variables["omit"]})
    return out


def validate(module, args, specs):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = dict(specs["connection_options"])
    spec.update(specs["modules"][module])
    return ArgumentSpecValidator(spec).validate(args).error_messages


def test_awx_specs_name_their_source():
    specs = argspecs()
    assert specs["source"]["repository"] == "ansible/awx"
    assert re.fullmatch(r"[0-9a-f]{40}", specs["source"]["commit"]), specs["source"]
    assert {"job_template", "workflow_job_template", "workflow_job_template_node"} <= set(specs["modules"])
    # The job template of the real module takes the slice count this workflow depends on.
    assert specs["modules"]["job_template"]["job_slice_count"] == {"type": "int"}


def test_workflow_example_passes_syntax_check(tmp_path):
    with tarfile.open(os.path.join(AWX_FILES, "awx_modules.tgz")) as tar:
        tar.extractall(tmp_path, filter="data") if sys.version_info >= (3, 12) else tar.extractall(tmp_path)  # noqa: S202
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([str(tmp_path), os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")]))
    for book in (WORKFLOW, PHASE_PLAYBOOK):
        # ansible-playbook as a module of the running interpreter: ansible-test's units environment has no console scripts.
        proc = subprocess.run(
            [sys.executable, "-m", "ansible.cli.playbook", "--syntax-check", "-i", "localhost,", book], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_awx_task_matches_the_real_argument_spec():
    specs = argspecs()
    tasks = awx_tasks(WORKFLOW)
    used = {m for _t, m, _v, _l in tasks}
    assert {"job_template", "workflow_job_template", "workflow_job_template_node"} <= used
    assert used <= set(specs["tarball_modules"]), "regenerate the fixture: %s" % (used - set(specs["tarball_modules"]))
    checked = 0
    for task, module, play_vars, loader in tasks:
        for args in rendered_args(task, module, play_vars, loader):
            errors = validate(module, args, specs)
            assert not errors, "%s (%s): %s" % (task["name"], module, errors)
            checked += 1
    assert checked >= 1 + 1 + 5 + 1 + 5


def test_the_argument_check_rejects_what_the_real_module_rejects():
    specs = argspecs()
    task, module, play_vars, loader = next(t for t in awx_tasks(WORKFLOW) if t[1] == "job_template")
    args = rendered_args(task, module, play_vars, loader)[0]
    assert validate(module, dict(args, slice_count=4), specs), "an unknown option must be refused"
    assert validate(module, dict(args, job_slice_count="many"), specs), "a slice count that is not an int must be refused"
    assert validate(module, dict(args, job_type="deploy"), specs), "a job type outside the choices must be refused"


def test_workflow_runs_every_phase_in_order_sliced_where_per_origin():
    task, module, play_vars, loader = next(t for t in awx_tasks(WORKFLOW) if t[1] == "job_template")
    templates = rendered_args(task, module, play_vars, loader)
    phases = [t["extra_vars"]["rollout_phase"] for t in templates]
    assert phases == ["optional", "cloudflare", "gate", "require", "proof"]
    slices = {t["extra_vars"]["rollout_phase"]: int(t["job_slice_count"]) for t in templates}
    assert slices["cloudflare"] == 1 and all(slices[p] > 1 for p in phases if p != "cloudflare"), slices
    assert all(t["playbook"] == os.path.basename(PHASE_PLAYBOOK) and not t["ask_limit_on_launch"] for t in templates)
    # The nodes chain the templates in the same order, each next one only on success.
    task, module, play_vars, loader = next(t for t in awx_tasks(WORKFLOW) if t[1] == "workflow_job_template_node")
    nodes = {n["identifier"]: n for n in rendered_args(task, module, play_vars, loader)}
    assert [n["identifier"] for n in rendered_args(task, module, play_vars, loader)] == phases[::-1], "created last to first"
    for phase, following in zip(phases, phases[1:] + [None]):
        assert nodes[phase]["success_nodes"] == ([following] if following else [])
        assert nodes[phase]["unified_job_template"] == templates[phases.index(phase)]["name"]
    # The phases are the ones the phase playbook accepts.
    with open(PHASE_PLAYBOOK) as fh:
        assert "in ['optional', 'cloudflare', 'gate', 'require', 'proof']" in fh.read()


def cloudflare_preflight_vars(playbook):
    """The vars of every include of the rollout role's preflight_cloudflare in a playbook."""
    with open(os.path.join(REPO, "playbooks", playbook)) as fh:
        plays = yaml.safe_load(fh)
    found = []
    for play in plays:
        for task in play.get("tasks", []):
            inc = task.get("ansible.builtin.include_role") or {}
            if inc.get("name") == "originpulls.aop.rollout" and inc.get("tasks_from") == "preflight_cloudflare":
                found.append(task.get("vars") or {})
    return found


def test_the_playbooks_that_enforce_refuse_a_disabled_binding_before_any_change():
    # A served hostname with a disabled per-hostname binding gets no certificate at any level: enable_aop and every
    # phase of the workflow (not only require, after optional and cloudflare ran) stop in their Cloudflare preflight.
    for playbook in ("enable_aop.yml", "enable_aop_phase.yml"):
        found = cloudflare_preflight_vars(playbook)
        assert found and all(v.get("rollout_refuse_disabled_bindings") is True for v in found), (playbook, found)
    # Relaxing is how such a hostname gets served again: disable_aop is not held up.
    assert all(not v.get("rollout_refuse_disabled_bindings") for v in cloudflare_preflight_vars("disable_aop.yml"))
