{# Names and values that must round-trip verbatim through tessera's state tables:
   a quote, a semicolon and non-ASCII text. #}
select
    cast(1 as integer) as id,
    cast('{{ dbt.escape_single_quotes("O'Brien; Zoë 東京") }}' as {{ tessera_it_type('varchar') }}) as {{ adapter.quote("it's; Zoë 東京") }}
