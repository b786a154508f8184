-- Foundation schema. Portable SQL: TEXT, BIGINT, INTEGER and $n placeholders only, so
-- the same statements run on SQLite (default) and PostgreSQL.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- JR/T 0185-2020 9.2.1 a) 2): the bank stores and manages App_IDs centrally.
CREATE TABLE apps (
    app_id         TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    level          TEXT NOT NULL,           -- A1 | A2
    status         TEXT NOT NULL,           -- pending | active | suspended | blacklisted | exited
    scopes         TEXT NOT NULL,           -- space-separated, least privilege (7.3.1)
    redirect_uris  TEXT NOT NULL DEFAULT '',
    notify_url     TEXT NOT NULL DEFAULT '',
    rate_rps       DOUBLE PRECISION NOT NULL,
    rate_burst     INTEGER NOT NULL,
    max_concurrent INTEGER NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Credentials: MAC keys derived from App_Secrets (never the secret itself), client
-- certificates and SM2 public keys, each with a serial and validity (7.3.4/3).
CREATE TABLE app_credentials (
    app_id      TEXT NOT NULL,
    serial      TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- secret | client_cert | sm2_sign | sm2_enc
    material    TEXT NOT NULL,              -- hex MAC key | PEM certificate | PEM public key
    fingerprint TEXT NOT NULL DEFAULT '',   -- SM3 of the DER certificate, for client certs
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    status      TEXT NOT NULL,              -- active | revoked | archived
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, serial)
);

CREATE TABLE app_events (
    id       INTEGER PRIMARY KEY,
    app_id   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX app_events_app ON app_events (app_id, id);

-- API lifecycle (7.1/6, 10.3/1, 11): active -> deprecated -> terminated.
CREATE TABLE api_states (
    api_id     TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    sunset     BIGINT NOT NULL DEFAULT 0,
    notice     TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

-- Single-use nonces per App_ID within the timestamp window (7.2.2/2).
CREATE TABLE nonces (
    app_id     TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

-- A1 products (6.2).
CREATE TABLE products (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    category       TEXT NOT NULL,
    issuer         TEXT NOT NULL,
    risk_level     TEXT NOT NULL,
    annual_yield_bp INTEGER NOT NULL,
    term_days      INTEGER NOT NULL,
    min_amount_fen BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX products_filter ON products (category, risk_level, status);

-- Customers and accounts (A2 builds on these).
CREATE TABLE customers (
    customer_id   TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    resident_id   TEXT NOT NULL,
    mobile        TEXT NOT NULL,
    password_hash TEXT NOT NULL
);

CREATE TABLE accounts (
    account_no        TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL,
    kind              TEXT NOT NULL,
    currency          TEXT NOT NULL,
    balance_fen       BIGINT NOT NULL,
    status            TEXT NOT NULL,
    daily_limit_fen   BIGINT NOT NULL,
    per_txn_limit_fen BIGINT NOT NULL,
    credit_limit_fen  BIGINT NOT NULL DEFAULT 0,
    opened_at         BIGINT NOT NULL
);
CREATE INDEX accounts_customer ON accounts (customer_id);

CREATE TABLE account_transactions (
    txn_id            TEXT PRIMARY KEY,
    account_no        TEXT NOT NULL,
    at                BIGINT NOT NULL,
    amount_fen        BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    counterparty      TEXT NOT NULL,
    memo              TEXT NOT NULL,
    balance_after_fen BIGINT NOT NULL
);
CREATE INDEX account_transactions_account ON account_transactions (account_no, at);
