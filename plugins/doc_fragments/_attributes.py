# Copyright: originpulls.aop contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What every module of the collection shares: its author, and the attributes of a module that changes state
    # (DOCUMENTATION) or only reads (INFO_MODULE). PRIVATE to the collection.
    DOCUMENTATION = r"""
author: originpulls.aop maintainers (@originpulls)
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change and makes no write call.
    support: full
"""

    INFO_MODULE = r"""
author: originpulls.aop maintainers (@originpulls)
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: This module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details: This module only reads.
  idempotent:
    description: A second run with the same arguments gives the same result.
    support: full
"""
