"""Who may do what in the programme — one place (the routes only name a dependency, ``access.py``).

| caller | reads | writes |
| --- | --- | --- |
| admin, officer | every body's ledger, needs, fund, targets, report | deliveries and needs of every body, fund, targets; admin: partner accounts |
| viewer | every body's ledger, needs, fund, targets, report | nothing |
| partner (a body's account) | its body's support types, needs and the households eligible for them (name, address, group; members' names for person support) — nothing else of a household's answers | its body's deliveries and needs; the Fund if its body is the Fatherland Front |
| residential-group partner | the households of its group (identification only) | needs of any type in its group; its own support types |
| device | the support and open needs of its area's households (pull) | needs of its area's households |

A partner is a ``users`` row with role ``partner`` and a ``partner_accounts`` row naming its body
(and, for a residential group, its group). The ranked roles never admit a partner: every other route
of the server answers it 403.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .. import auth
from ..errors import ApiError

PARTNER = "partner"
FUND_BODY = "fatherland_front"
GROUP_BODY = "residential_groups"


@dataclass(frozen=True)
class Scope:
    user_id: int
    username: str
    full_name: str
    role: str
    body_id: str | None = None        # a partner's body; None = every body
    group_id: int | None = None       # a residential-group partner's group
    group_code: str | None = None

    @property
    def is_partner(self) -> bool:
        return self.role == PARTNER

    @property
    def can_write(self) -> bool:
        return self.is_partner or self.role in ("officer", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees_body(self, body_id: str) -> bool:
        return not self.is_partner or body_id == self.body_id

    def may_write_body(self, body_id: str) -> bool:
        return self.can_write and self.sees_body(body_id)

    @property
    def may_write_fund(self) -> bool:
        return self.role in ("officer", "admin") or (self.is_partner and self.body_id == FUND_BODY)

    @property
    def records_any_need(self) -> bool:
        """Office users and residential groups note needs for any body; other partners for their own."""
        return self.role in ("officer", "admin") or self.body_id == GROUP_BODY


def denied(what_en: str, what_vi: str) -> ApiError:
    return ApiError(403, "outside_scope", what_en, what_vi)


def scope_of(conn: sqlite3.Connection, user: auth.UserPrincipal) -> Scope:
    if user.role != PARTNER:
        if user.role not in auth.ROLE_RANK:
            raise ApiError(403, "role_required", "Unknown role", "Vai trò không hợp lệ")
        return Scope(user.id, user.username, user.full_name, user.role)
    row = conn.execute("SELECT p.body_id, p.group_id, g.code FROM partner_accounts p "
                       "LEFT JOIN area_groups g ON g.id = p.group_id WHERE p.user_id = ?", (user.id,)).fetchone()
    if row is None:
        raise ApiError(403, "partner_unassigned", "This partner account names no responsible body",
                       "Tài khoản đối tác chưa được gán cơ quan, đơn vị phụ trách")
    return Scope(user.id, user.username, user.full_name, PARTNER, row[0], row[1], row[2])
