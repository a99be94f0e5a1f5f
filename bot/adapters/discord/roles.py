"""Policy groups from Discord roles: ``{"finance": "<role id>"}`` maps a group to a role.

Role ids rather than names because names can be renamed or duplicated by any admin, while
an id always means the same role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def groups_for_roles(
    role_ids: Iterable[int | str], role_groups: Mapping[str, str]
) -> frozenset[str]:
    """The policy groups a member belongs to, given the member's role ids."""
    held = {str(role_id) for role_id in role_ids}
    return frozenset(group for group, role_id in role_groups.items() if str(role_id) in held)
