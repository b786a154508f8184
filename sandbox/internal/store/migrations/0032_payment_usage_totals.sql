-- Daily-limit usage (JR/T 0185-2020 10.2.1/3) as running totals: per payer account,
-- App_ID and customer and calendar day, the amounts of the payments created that day
-- whose status counts at creation (pending confirmation, risk review, processing,
-- succeeded) and at execution (processing, succeeded). The payments service keeps them
-- in the transaction that inserts a payment or changes its status, so a limit check
-- reads three rows instead of summing every payment of the day (which grew with each
-- payment: at 2,000 payments a day from one account it was a quarter of the payment
-- path's CPU).
--
-- day is the start (unix ns) of the calendar day of the payments' created_at in the
-- service's location; existing payments are counted here in China Standard Time
-- (UTC+8), the service's default and the bank's setting.
CREATE TABLE payment_usage (
    dim          TEXT NOT NULL,   -- payer_account, app_id or customer_id
    key          TEXT NOT NULL,
    day          BIGINT NOT NULL,
    created_fen  BIGINT NOT NULL DEFAULT 0,
    executed_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, key, day)
);
INSERT INTO payment_usage (dim, key, day, created_fen, executed_fen)
SELECT d.dim, d.key, d.day,
       SUM(CASE WHEN d.status IN ('pending_confirmation', 'risk_review', 'processing', 'succeeded') THEN d.amount_fen ELSE 0 END),
       SUM(CASE WHEN d.status IN ('processing', 'succeeded') THEN d.amount_fen ELSE 0 END)
FROM (
    SELECT 'payer_account' AS dim, payer_account AS key, created_at - ((created_at + 28800000000000) % 86400000000000) AS day, status, amount_fen FROM payments
    UNION ALL
    SELECT 'app_id', app_id, created_at - ((created_at + 28800000000000) % 86400000000000), status, amount_fen FROM payments
    UNION ALL
    SELECT 'customer_id', customer_id, created_at - ((created_at + 28800000000000) % 86400000000000), status, amount_fen FROM payments
) d
GROUP BY d.dim, d.key, d.day;
-- The covering indexes served the sums; the velocity rule (10.2.3/1) counts a window of
-- payments per App_ID and per payer account, which these narrower ones serve.
CREATE INDEX payments_payer_window ON payments (payer_account, created_at, status);
CREATE INDEX payments_app_window ON payments (app_id, created_at, status);
DROP INDEX payments_payer_usage;
DROP INDEX payments_customer_usage;
DROP INDEX payments_app_usage;
