"""Who may call a route: the one ``require_role`` of the server (issue 22).

Each surface says how it finds its caller and how it refuses; the rule itself is the same everywhere:
the caller's ranked role (``auth.ROLE_RANK``: viewer < officer < admin) at least the role asked for.

    ``Surface(name, caller, refuse, post_check=None)``
        ``caller``      a FastAPI dependency giving the caller; it raises its own "who are you?"
                        (the API's 401 envelope, the console's redirect to the login page).
        ``refuse``      ``(caller, role) -> Exception``: the 403 to raise (the API's JSON envelope,
                        the console's HTML page).
        ``post_check``  an async check run after the role on forms (the console's CSRF token).
    ``require_role(role, surface, post=False)``  the dependency: the caller, or the surface's refusal.

The surfaces: ``server.api.deps.API`` (a bearer token: ``ViewerDep`` / ``OfficerDep`` / ``AdminDep``),
``server.console.web.CONSOLE_SURFACE`` (the session cookie: ``ViewerUser`` ... ``AdminPost``) and
``server.programme.access.PROGRAMME`` (a ward user's or partner's scope: ``OfficeDep``, ``AdminScopeDep``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fastapi import Depends, Request

from .auth import ROLE_RANK


@dataclass(frozen=True)
class Surface:
    """How one surface finds who is calling and how it refuses them."""
    name: str
    caller: Callable[..., Any]
    refuse: Callable[[Any, str], Exception]
    post_check: Callable[[Request], Awaitable[None]] | None = None


def has_role(caller: Any, role: str) -> bool:
    """A caller with a ranked role at least ``role`` (a device, a partner or an unknown role: never)."""
    return ROLE_RANK.get(getattr(caller, "role", None) or "", 0) >= ROLE_RANK[role]


def require_role(role: str, surface: Surface, post: bool = False) -> Callable[..., Any]:
    """A dependency admitting a caller of ``surface`` with at least ``role``; with ``post=True`` the
    surface's ``post_check`` (the console's CSRF check) runs once the role is known to be right."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")
    if post and surface.post_check is None:
        raise ValueError(f"the surface {surface.name!r} has no check for forms")

    async def dependency(request: Request, caller: Any = Depends(surface.caller)) -> Any:
        if not has_role(caller, role):
            raise surface.refuse(caller, role)
        if post and surface.post_check is not None:
            await surface.post_check(request)
        return caller

    dependency.__name__ = f"{surface.name}_{role}{'_post' if post else ''}"
    return dependency
