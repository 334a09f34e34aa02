-- One row per kommunekode × aar × dataset, for every municipality expected to submit (reference deltagere)
-- and every municipality that submitted anything, every dataset of the contract. The state is that of the
-- submission's latest version, from audit.dataset_states (pipeline/states.py, the one definition of a
-- dataset's state: mangler, modtaget, godkendt, delvist_godkendt, afvist, holdt_tilbage,
-- afventer_godkendelse); a municipality-year without any version is `mangler` in every dataset.
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

tilstande as (
    select * from {{ source('audit', 'dataset_states') }}
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
        {{ string_agg_ordered('besked', "' | '", ['gate', 'kontrol']) }} filter (where status <> 'ok') as kvalitet_besked
    from {{ source('audit', 'gate_results') }}
    where koersel = (select max_by(koersel, tid) from {{ source('audit', 'gate_results') }})
    group by all
),

alle_datasaet as (
    select distinct dataset from tilstande
    union
    select {{ unnest_list(contract_datasets()) }}
),

final as (
    select
        f.kommunekode,
        f.aar,
        a.dataset,
        s.version,
        coalesce(t.tilstand, 'mangler') as status,
        coalesce(t.filer, '[]') as filer,
        coalesce(t.raekker_modtaget, 0) as raekker_modtaget,
        coalesce(t.raekker_accepteret, 0) as raekker_accepteret,
        coalesce(t.raekker_afvist, 0) as raekker_afvist,
        coalesce(t.raekker_sprunget_over, 0) as raekker_sprunget_over,
        coalesce(t.advarsler, 0) as advarsler,
        s.oprettet_tid as senest_modtaget_tid,
        coalesce(p.gate2_advarsler, 0) as gate2_advarsler,
        coalesce(p.gate3_fejl, 0) as gate3_fejl,
        p.kvalitet_besked
    from forventede as f
    cross join alle_datasaet as a
    left join seneste as s using (kommunekode, aar)
    left join tilstande as t
        on t.kommunekode = f.kommunekode and t.aar = f.aar and t.version = s.version and t.dataset = a.dataset
    left join porte as p on p.kommunekode = f.kommunekode and p.aar = f.aar
)

select * from final
