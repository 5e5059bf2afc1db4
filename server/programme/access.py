"""The programme's route dependencies: who may call which route, as a ``Scope`` (the rules: ``programme/scope.py``)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from .. import auth
from ..access import Surface, require_role
from ..api.deps import DbDep, PrincipalDep
from ..errors import ApiError
from .scope import Scope, denied, scope_of


def _reader(p: PrincipalDep, db: DbDep) -> Scope:
    if not isinstance(p, auth.UserPrincipal):
        raise ApiError(403, "user_only", "Only a ward user or a partner may call this",
                       "Chỉ cán bộ phường hoặc đơn vị phối hợp mới được dùng chức năng này")
    return scope_of(db.conn, p)


def _writer(scope: Annotated[Scope, Depends(_reader)]) -> Scope:
    if not scope.can_write:
        raise ApiError(403, "role_required", "This needs the officer role or a partner account",
                       "Cần quyền cán bộ hoặc tài khoản đơn vị phối hợp",
                       [{"required_role": "officer", "your_role": scope.role}])
    return scope


_ROLE_WORDS = {"officer": ("officer", "cán bộ (officer)"), "admin": ("admin", "quản trị (admin)")}


def _refuse(scope: Scope, role: str) -> ApiError:
    en, vi = _ROLE_WORDS[role]
    return ApiError(403, "role_required", f"This needs the {en} role", f"Cần quyền {vi}",
                    [{"required_role": role, "your_role": scope.role}])


# The programme's callers: a ward user's or a partner's scope (server/access.py's one require_role).
PROGRAMME = Surface("programme", _reader, _refuse)
_office = require_role("officer", PROGRAMME)
_admin = require_role("admin", PROGRAMME)


def _fund_reader(scope: Annotated[Scope, Depends(_reader)]) -> Scope:
    if scope.is_partner and not scope.may_write_fund:
        raise denied("The fund's ledger names households: Fatherland Front and ward office only",
                     "Sổ quỹ có tên hộ được hỗ trợ: chỉ Ủy ban MTTQ và cán bộ phường được xem")
    return scope


def _fund_writer(scope: Annotated[Scope, Depends(_writer)]) -> Scope:
    """Refused before the body is read: a partner of another body learns nothing from a 422."""
    if not scope.may_write_fund:
        raise denied("Only the Fatherland Front or the ward office records the Fund",
                     "Chỉ Ủy ban MTTQ hoặc cán bộ phường ghi nhận Quỹ Vì người nghèo")
    return scope


def _report_reader(scope: Annotated[Scope, Depends(_reader)]) -> Scope:
    if scope.is_partner:
        raise denied("The year-end report names households of every body", "Báo cáo cuối năm có tên hộ của mọi đơn vị: "
                     "chỉ cán bộ phường và tài khoản chỉ xem được xem")
    return scope


ReaderDep = Annotated[Scope, Depends(_reader)]
FundReaderDep = Annotated[Scope, Depends(_fund_reader)]
FundWriterDep = Annotated[Scope, Depends(_fund_writer)]
ReportReaderDep = Annotated[Scope, Depends(_report_reader)]
WriterDep = Annotated[Scope, Depends(_writer)]
OfficeDep = Annotated[Scope, Depends(_office)]
AdminScopeDep = Annotated[Scope, Depends(_admin)]
