"""Offline stand-in for the get-pip bootstrap script that ``ansible-test --venv`` downloads.

ansible-test fetches ``get-pip-<version>.py`` from a host these machines cannot reach and
caches it as ``~/.ansible/test/cache/get_pip_<version>.py``. scripts/sanity.sh puts this file
there instead (only when no real one is cached). It does what get-pip does for ansible-test:
put pip into the new, empty virtual environment (here from the standard library's ensurepip)
and then ``pip install`` the arguments it was given (pip==<version> and nothing else), which
come from the package index as every other requirement of ansible-test does.
"""

import ensurepip
import os
import subprocess
import sys

# ansible-test strips the environment (PIP_CERT, SSL_CERT_FILE, ...) before this runs, and the pip that
# ensurepip brings may predate pip's use of the system trust store: name the system CA bundle.
SYSTEM_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    bundle = next((b for b in SYSTEM_CA_BUNDLES if os.path.exists(b)), None)
    cert = ["--cert", bundle] if bundle else []
    return subprocess.call([sys.executable, "-m", "pip", "install"] + cert + args)


if __name__ == "__main__":
    sys.exit(main())
