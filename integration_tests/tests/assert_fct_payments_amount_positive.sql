{# Every captured payment of the latest fct_payments moves money: amount > 0. #}
select
    payment_id,
    order_id,
    amount
from {{ ref('fct_payments') }}
where amount <= 0
