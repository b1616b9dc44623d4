"""Make the checkout importable and loadable as ansible_collections.originpulls.aop."""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collections_root():
    """A directory whose ansible_collections/originpulls/aop is a link to this checkout."""
    base = os.environ.get("AOP_COLLECTIONS_ROOT") or os.path.join(ROOT, ".cache", "collections")
    ns = os.path.join(base, "ansible_collections", "originpulls")
    link = os.path.join(ns, "aop")
    os.makedirs(ns, exist_ok=True)
    if not os.path.islink(link) and not os.path.exists(link):
        try:
            os.symlink(ROOT, link)
        except FileExistsError:  # another worker made it first
            pass
    return base
