"""Who may act for a team (pure): the membership a project commits, validated, and the
rules that read it.

Membership maps each team to the warehouse users who may answer for it; `admins` may
withdraw or force any proposal. Names are matched exactly, case included: write them as
the warehouse reports the session user (PostgreSQL folds an unquoted role name to lower
case, Snowflake reports upper case). A near miss (same name, other case) is named in the
refusal so the fix is obvious.

The rules, once membership is configured at all (any team or admin listed):
- an acknowledgment for team T only by a member of T;
- `withdraw` and `force_publish` of a proposal only by a member of the asset's owner team
  or an admin.
Without membership anyone who can run the operations (the state schema's write grant) may
act for any team; docs/security.md says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Membership:
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    admins: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # the files it was read from, for messages

    @property
    def configured(self) -> bool:
        return bool(self.teams or self.admins)

    def members(self, team: str) -> tuple[str, ...]:
        return tuple(self.teams.get(team) or ())


def parse_membership(teams: Any, admins: Any, source: str) -> Membership:
    """Validated membership of one source; a bad value is a ConfigError naming the team.

    >>> parse_membership({"finance": ["alice"]}, None, "x").members("finance")
    ('alice',)
    """
    out: dict[str, tuple[str, ...]] = {}
    if teams is not None:
        if not isinstance(teams, Mapping):
            raise ConfigError(f"{source}: teams must map each team to a list of warehouse "
                              f"users, got {type(teams).__name__}",
                              "e.g. teams: {finance: [alice, bob]}")
        for team, users in teams.items():
            out[str(team)] = _users(users, f"{source}: team {str(team)!r}")
    admin_list: tuple[str, ...] = ()
    if admins is not None:
        admin_list = _users(admins, f"{source}: admins", allow_empty=True)
    return Membership(out, admin_list, (source,))


def _users(value: Any, where: str, allow_empty: bool = False) -> tuple[str, ...]:
    fix = "list the warehouse users, e.g. [alice, bob]"
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where} must be a list of warehouse users, got "
                          f"{type(value).__name__} {value!r}"[:200], fix)
    if not value and not allow_empty:
        raise ConfigError(f"{where} has no members: nobody could answer for it", fix)
    users = []
    for user in value:
        if not isinstance(user, str) or not user.strip() or "{{" in user:
            raise ConfigError(f"{where}: {user!r} is not a warehouse user name", fix)
        users.append(user.strip())
    return tuple(users)


def merge(*parts: Membership) -> Membership:
    """One membership of several sources; a team defined twice is an error."""
    teams: dict[str, tuple[str, ...]] = {}
    origin: dict[str, str] = {}
    for part in parts:
        for team, users in part.teams.items():
            if team in teams:
                raise ConfigError(f"team {team!r} is defined in both {origin[team]} and "
                                  f"{', '.join(part.sources)}", "define each team once")
            teams[team] = users
            origin[team] = ", ".join(part.sources)
    admins = tuple(dict.fromkeys(a for part in parts for a in part.admins))
    return Membership(teams, admins, tuple(s for part in parts for s in part.sources))


def _near(actor: str | None, users: tuple[str, ...]) -> str:
    if actor and any(u.lower() == actor.lower() and u != actor for u in users):
        return f"; names match exactly: the warehouse reports {actor!r}, write it so"
    return ""


def answer_refusal(membership: Membership, actor: str | None, team: str) -> ConfigError | None:
    """Why `actor` may not acknowledge for `team`, or None when it may."""
    if not membership.configured:
        return None
    members = membership.members(team)
    if actor is not None and actor in members:
        return None
    if not members:
        return ConfigError(f"warehouse user {actor!r} may not answer for team {team!r}: the "
                           "team has no members in the committed membership",
                           f"add teams: {{{team}: [<users>]}} to "
                           f"{' or '.join(membership.sources) or 'tessera_teams.yml'}")
    return ConfigError(f"warehouse user {actor!r} may not answer for team {team!r}",
                       f"its members are: {', '.join(members)}{_near(actor, members)}")


# the operation that writes each decision, as its refusals name it
DECISION_OPS = {"proposal_withdrawn": "withdraw", "proposal_forced": "force_publish"}


def decision_refusal(membership: Membership, actor: str | None, owner: str | None,
                     op: str) -> ConfigError | None:
    """Why `actor` may not withdraw or force a proposal of an asset owned by `owner`, or
    None when it may (a member of the owner team or an admin)."""
    if not membership.configured:
        return None
    allowed = (*membership.members(owner or ""), *membership.admins)
    if actor is not None and actor in allowed:
        return None
    who = f"members of the owner team {owner!r}" if owner else "admins (the asset has no owner)"
    return ConfigError(f"tessera.{op}: warehouse user {actor!r} may not {op} this proposal",
                       f"only {who}{' or admins' if owner else ''} may: "
                       f"{', '.join(allowed) or 'nobody is listed'}{_near(actor, allowed)}")
