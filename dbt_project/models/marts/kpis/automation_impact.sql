{#- Before/after impact of each automation rule change, one row per change and KPI.

    Orders whose SLA clock started in the `window_days` before the change are compared with
    those in the `window_days` after it; the windows are equal, as long as
    var impact_window_days allows and the data reaches on both sides. Differences are
    after minus before with a 95% confidence interval: for shares (on time, touchless) the
    normal approximation for a difference of proportions, for per-order averages (cycle
    time, exceptions, contacts) Welch's. The verdict is "improved" or "worse" only when the
    interval excludes zero, in the KPI's good direction; otherwise "no detectable change".
    channel_mix_shift_pct is the total variation distance between the two windows' channel
    mixes: above var impact_mix_shift_pct the comparison may reflect who ordered, not the
    rule. -#}
with changes as (
    select * from {{ ref('int_automation_rule_changes') }}
),

orders as (
    select
        order_id,
        channel,
        sla_started_at,
        case when despatched_on_time then 1.0 when not despatched_on_time then 0.0 end as on_time,
        case when despatched_at is not null then case when is_touchless then 1.0 else 0.0 end end as touchless,
        cycle_time_to_despatch_hours as cycle_time,
        cast(exception_count as {{ dbt.type_float() }}) as exceptions,
        cast(customer_contacts as {{ dbt.type_float() }}) as contacts
    from {{ ref('fct_orders') }}
    -- Only orders whose despatch deadline has passed: a recent order that has not left yet
    -- has no cycle time, so counting it would flatter the after window.
    where cancelled_at is null
        and status != 'cancelled'
        and despatch_due_at < (select as_of_at from {{ ref('int_data_as_of') }})
),

data_span as (
    select min(sla_started_at) as first_at, max(sla_started_at) as last_at from orders
),

windows as (
    select
        changes.*,
        least(
            {{ var('impact_window_days') }},
            {{ dbt.datediff('data_span.first_at', 'changes.effective_at', 'day') }},
            {{ dbt.datediff('changes.effective_at', 'data_span.last_at', 'day') }}
        ) as window_days
    from changes
    cross join data_span
),

sides as (
    select
        windows.rule_set,
        windows.rule_version,
        windows.effective_at,
        windows.window_days,
        case when orders.sla_started_at < windows.effective_at then 'before' else 'after' end as side,
        orders.*
    from windows
    inner join orders
        on orders.sla_started_at >= {{ dbt.dateadd('day', '-1 * windows.window_days', 'windows.effective_at') }}
        and orders.sla_started_at < {{ dbt.dateadd('day', 'windows.window_days', 'windows.effective_at') }}
    where windows.window_days >= 1
),

kpi_values as (
    select rule_version, side, 'on_time_despatch_pct' as kpi, 'share' as kind, 1 as higher_is_better, on_time as value
    from sides
    union all
    select rule_version, side, 'touchless_pct', 'share', 1, touchless from sides
    union all
    select rule_version, side, 'cycle_time_to_despatch_hours', 'mean', -1, cycle_time from sides
    union all
    select rule_version, side, 'exceptions_per_100_orders', 'mean', -1, exceptions * 100 from sides
    union all
    select rule_version, side, 'contacts_per_1000_orders', 'mean', -1, contacts * 1000 from sides
),

stats as (
    select
        rule_version,
        kpi,
        kind,
        higher_is_better,
        side,
        count(value) as n,
        avg(value) as mean_value,
        {{ percentile('value', 0.5) }} as median_value,
        var_samp(value) as variance
    from kpi_values
    where value is not null
    group by rule_version, kpi, kind, higher_is_better, side
),

paired as (
    select
        before.rule_version,
        before.kpi,
        before.kind,
        before.higher_is_better,
        before.n as n_before,
        after.n as n_after,
        before.mean_value as before_mean,
        after.mean_value as after_mean,
        before.median_value as before_median,
        after.median_value as after_median,
        case
            when before.kind = 'share' then
                before.mean_value * (1 - before.mean_value) / before.n
                + after.mean_value * (1 - after.mean_value) / after.n
            else coalesce(before.variance, 0) / before.n + coalesce(after.variance, 0) / after.n
        end as variance_of_difference
    from stats as before
    inner join stats as after
        on after.rule_version = before.rule_version
        and after.kpi = before.kpi
        and after.side = 'after'
    where before.side = 'before'
),

channel_mix as (
    select rule_version, channel,
        sum(case when side = 'before' then 1.0 else 0 end)
            / nullif(sum(sum(case when side = 'before' then 1.0 else 0 end)) over (partition by rule_version), 0)
            as before_share,
        sum(case when side = 'after' then 1.0 else 0 end)
            / nullif(sum(sum(case when side = 'after' then 1.0 else 0 end)) over (partition by rule_version), 0)
            as after_share
    from sides
    group by rule_version, channel
),

mix_shift as (
    select rule_version, sum(abs(coalesce(after_share, 0) - coalesce(before_share, 0))) * 50 as shift_pct
    from channel_mix
    group by rule_version
),

measured as (
    select
        paired.*,
        -- Shares are reported in percent.
        case when kind = 'share' then 100.0 else 1.0 end as scale,
        after_mean - before_mean as difference,
        1.96 * sqrt(variance_of_difference) as margin
    from paired
)

select
    {{ dbt.hash(dbt.concat(["measured.rule_version", "'|'", "measured.kpi"])) }} as impact_id,
    windows.rule_set,
    measured.rule_version,
    windows.description,
    windows.rule_diff,
    windows.effective_at,
    cast(windows.window_days as {{ dbt.type_int() }}) as window_days,
    measured.kpi,
    cast(measured.n_before as {{ dbt.type_bigint() }}) as orders_before,
    cast(measured.n_after as {{ dbt.type_bigint() }}) as orders_after,
    cast(measured.before_mean * measured.scale as {{ dbt.type_float() }}) as before_value,
    cast(measured.after_mean * measured.scale as {{ dbt.type_float() }}) as after_value,
    cast(case when measured.kind = 'mean' then measured.before_median end as {{ dbt.type_float() }})
        as before_median,
    cast(case when measured.kind = 'mean' then measured.after_median end as {{ dbt.type_float() }})
        as after_median,
    cast(measured.difference * measured.scale as {{ dbt.type_float() }}) as difference,
    cast((measured.difference - measured.margin) * measured.scale as {{ dbt.type_float() }}) as ci_low,
    cast((measured.difference + measured.margin) * measured.scale as {{ dbt.type_float() }}) as ci_high,
    case
        when measured.n_before < 2 or measured.n_after < 2 then 'not enough data'
        when measured.difference - measured.margin > 0 then
            case when measured.higher_is_better = 1 then 'improved' else 'worse' end
        when measured.difference + measured.margin < 0 then
            case when measured.higher_is_better = 1 then 'worse' else 'improved' end
        else 'no detectable change'
    end as verdict,
    cast(mix_shift.shift_pct as {{ dbt.type_float() }}) as channel_mix_shift_pct,
    coalesce(mix_shift.shift_pct > {{ var('impact_mix_shift_pct') }}, false) as channel_mix_shifted
from measured
inner join windows on windows.rule_version = measured.rule_version
left join mix_shift on mix_shift.rule_version = measured.rule_version
