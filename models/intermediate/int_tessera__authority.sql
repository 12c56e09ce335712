{#- Every act that needs authority (an acknowledgment, a withdrawal, a forcing) and whether
    it counts. As state.folds.fold_proposals: only when its actor may act, by the membership
    in force when it was given (tessera_memberships; before the first recorded one, the
    first; when none was ever recorded, or it lists nobody, every actor counts): an answer
    for the team it names, a decision for the proposal's owner team or an admin. -#}
{{ config(schema=tessera.setting("schema")) }}
with acts as (

    {#- who acted: the writer the warehouse recorded where it records one (PostgreSQL's
        written_by), else the actor column -#}
    select event_id, event_type, proposal_id, team, status, reason, payload,
           coalesce(written_by, actor) as actor, recorded_at, asset
    from {{ ref("stg_tessera__events") }}
    where proposal_id is not null
        and event_type in ({{ tessera.word('event_type', 'proposal_acknowledged') }}, {{ tessera.word('event_type', 'proposal_withdrawn') }}, {{ tessera.word('event_type', 'proposal_forced') }})

),

owners as (

    select proposal_id, max(owner) as owner
    from {{ ref("stg_tessera__events") }}
    where event_type = {{ tessera.word('event_type', 'proposal_created') }}
    group by proposal_id

),

spans as (

    select distinct membership_number, valid_from, valid_to
    from {{ ref("tessera_memberships") }}

),

first_span as (

    select min(membership_number) as membership_number from spans

),

judged as (

    select
        acts.*,
        owners.owner,
        coalesce(in_force.membership_number, first_span.membership_number)
            as membership_number
    from acts
    left join owners on acts.proposal_id = owners.proposal_id
    left join spans as in_force
        on in_force.valid_from <= acts.recorded_at
        and (in_force.valid_to is null or acts.recorded_at < in_force.valid_to)
    cross join first_span

),

allowed as (

    select distinct judged.event_id
    from judged
    inner join {{ ref("tessera_memberships") }} as members
        on members.membership_number = judged.membership_number
    where members.membership_role = {{ tessera.word('membership_role', 'unconfigured') }}
        or (members.warehouse_user = judged.actor
            and ((judged.event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
                  and members.membership_role = {{ tessera.word('membership_role', 'member') }}
                  and members.team = judged.team)
                 or (judged.event_type <> {{ tessera.word('event_type', 'proposal_acknowledged') }}
                     and (members.membership_role = {{ tessera.word('membership_role', 'admin') }}
                          or (members.membership_role = {{ tessera.word('membership_role', 'member') }}
                              and members.team = judged.owner)))))

)

select
    judged.*,
    case when judged.membership_number is null or allowed.event_id is not null
         then true else false end as counted,
    case when judged.membership_number is null or allowed.event_id is not null then null
         when judged.event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
         then {{ dbt.concat(["'warehouse user '", "coalesce(judged.actor, '(unknown)')",
                             "' was no member of team '", "judged.team",
                             "' by the membership in force'"]) }}
         else {{ dbt.concat(["'warehouse user '", "coalesce(judged.actor, '(unknown)')",
                             "' was neither of the owner team '",
                             "coalesce(judged.owner, '(none)')",
                             "' nor an admin by the membership in force'"]) }}
         end as ignored_why
from judged
left join allowed on judged.event_id = allowed.event_id
