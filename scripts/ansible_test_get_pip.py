"""Offline stand-in for the get-pip bootstrap script that ``ansible-test --venv`` downloads.

ansible-test fetches ``get-pip-<version>.py`` from a host these machines cannot reach and
caches it as ``~/.ansible/test/cache/get_pip_<version>.py``. scripts/sanity.sh puts this file
there instead (only when no real one is cached). It does what get-pip does for ansible-test:
put pip into the new, empty virtual environment (here from the standard library's ensurepip)
and then ``pip install`` the arguments it was given (pip==<version> and nothing else), which
come from the package index as every other requirement of ansible-test does.
"""

import ensurepip
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    sys.exit(main())
