{# Names and values that must round-trip verbatim through tessera's state tables:
   a quote, a semicolon and non-ASCII text. #}
select
    cast(1 as integer) as id,
    cast('O''Brien; Zoë 東京' as varchar) as "it's; Zoë 東京"
