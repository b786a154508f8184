-- A2 account information: opaque account ids and product holdings.

-- Accounts are addressed on the wire by an opaque id (HMAC-SM3 of the number under a
-- bank secret), so full card numbers never travel in URLs or land in logs (7.3.3).
ALTER TABLE accounts ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_account_id ON accounts (account_id);

-- 6.2 A2: 金融产品和服务持有情况.
CREATE TABLE product_holdings (
    holding_id   TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    account_no   TEXT NOT NULL,
    product_code TEXT NOT NULL,
    principal_fen BIGINT NOT NULL,
    value_fen    BIGINT NOT NULL,
    since        BIGINT NOT NULL
);
CREATE INDEX product_holdings_customer ON product_holdings (customer_id);
