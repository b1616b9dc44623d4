"""The AWX examples users load as they are: the custom credential type (examples/awx/credential_type.yml)."""

from __future__ import annotations

import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(REPO, "examples", "awx", "credential_type.yml")
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
