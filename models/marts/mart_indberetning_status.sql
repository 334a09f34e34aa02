-- One row per kommunekode × aar × dataset, for every municipality expected to submit (reference deltagere)
-- and every municipality that submitted anything, every dataset of the contract. The state is taken from
-- the submission's latest version:
--   mangler             no file for the dataset (or no submission at all)
--   modtaget            files received but no rows in them
--   godkendt            every received row accepted (or skipped)
--   delvist_godkendt    some rows accepted, some rejected
--   afvist              rows received, none accepted
--   holdt_tilbage       the version was held back by a gate (GX found rows the validator accepted, or a
--                       submission-level problem); the previous active version, if any, is still used
--   afventer_godkendelse  gate 2: the municipality's building count or area dropped by more than 15 % against
--                       its previous active version; waiting for the steward's `kkm2 accept`
-- Gate results (gate 2 warnings, gate 3 failures) are those of the latest gate run.
with

versioner as (
    select kommunekode, aar, max(version) as version
    from {{ source('audit', 'submissions') }}
    group by all
),

seneste as (
    select s.*
    from {{ source('audit', 'submissions') }} as s
    inner join versioner as v using (kommunekode, aar, version)
),

datasaet as (
    select * from {{ source('audit', 'submission_datasets') }}
),

forventede as (
    select kommunekode, aar from {{ source('reference', 'deltagere') }}
    union
    select kommunekode, aar from seneste
),

porte as (
    select
        kommunekode,
        aar,
        count(*) filter (where gate = '2' and status = 'advarsel') as gate2_advarsler,
        count(*) filter (where gate = '3' and status = 'fejl') as gate3_fejl,
        string_agg(besked, ' | ' order by gate, kontrol) filter (where status <> 'ok') as kvalitet_besked
    from {{ source('audit', 'gate_results') }}
    where koersel = (select arg_max(koersel, tid) from {{ source('audit', 'gate_results') }})
    group by all
),

alle_datasaet as (
    select distinct dataset from {{ source('audit', 'submission_datasets') }}
    union
    select unnest({{ contract_datasets() }})
),

final as (
    select
        f.kommunekode,
        f.aar,
        a.dataset,
        s.version,
        case
            when s.version is null or d.filer is null or d.filer = '[]' then 'mangler'
            when s.status = 'holdt_tilbage' then 'holdt_tilbage'
            when s.status = 'afventer_godkendelse' then 'afventer_godkendelse'
            when d.raekker_modtaget = 0 then 'modtaget'
            when d.raekker_accepteret = 0 and d.raekker_afvist > 0 then 'afvist'
            when d.raekker_afvist > 0 then 'delvist_godkendt'
            else 'godkendt'
        end as status,
        coalesce(d.filer, '[]') as filer,
        coalesce(d.raekker_modtaget, 0) as raekker_modtaget,
        coalesce(d.raekker_accepteret, 0) as raekker_accepteret,
        coalesce(d.raekker_afvist, 0) as raekker_afvist,
        coalesce(d.raekker_sprunget_over, 0) as raekker_sprunget_over,
        coalesce(d.advarsler, 0) as advarsler,
        s.oprettet_tid as senest_modtaget_tid,
        coalesce(p.gate2_advarsler, 0) as gate2_advarsler,
        coalesce(p.gate3_fejl, 0) as gate3_fejl,
        p.kvalitet_besked
    from forventede as f
    cross join alle_datasaet as a
    left join seneste as s using (kommunekode, aar)
    left join datasaet as d
        on d.kommunekode = f.kommunekode and d.aar = f.aar and d.version = s.version and d.dataset = a.dataset
    left join porte as p on p.kommunekode = f.kommunekode and p.aar = f.aar
)

select * from final
