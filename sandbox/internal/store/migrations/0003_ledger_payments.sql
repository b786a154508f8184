-- A2 money core (JR/T 0185-2020 6.2 A2, 10.2.3): a double-entry ledger under the
-- accounts, payments with idempotency keys scoped to the App_ID, and a notification
-- outbox. Portable SQL: TEXT, BIGINT, INTEGER and $n placeholders only.

-- A posting is one balanced movement of money: its entries sum to zero. reference is
-- the business key that may post at most once ("payment:<id>", "opening:<account>").
CREATE TABLE postings (
    posting_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                -- opening | payment | adjustment
    reference  TEXT NOT NULL DEFAULT '',
    memo       TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX postings_reference ON postings (reference) WHERE reference <> '';

-- Signed amounts in fen: negative debits the account, positive credits it.
-- accounts.balance_fen is the materialized sum of an account's entries, updated in the
-- same transaction as the entries.
CREATE TABLE ledger_entries (
    entry_id   TEXT PRIMARY KEY,
    posting_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    account_no TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_posting ON ledger_entries (posting_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_no);

-- Bank-internal accounts (customer_id BANK, kind internal). They may go negative:
-- BANK-EQUITY holds minus the opening balances of every customer account,
-- BANK-EXTERNAL-CLEARING collects payments to payees outside the bank, and
-- BANK-SUSPENSE holds money awaiting investigation.
INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status, daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at)
    VALUES ('BANK-EQUITY', 'BANK', 'internal', 'CNY', 0, 'active', 0, 0, 0, 0);
INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status, daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at)
    VALUES ('BANK-EXTERNAL-CLEARING', 'BANK', 'internal', 'CNY', 0, 'active', 0, 0, 0, 0);
INSERT INTO accounts (account_no, customer_id, kind, currency, balance_fen, status, daily_limit_fen, per_txn_limit_fen, credit_limit_fen, opened_at)
    VALUES ('BANK-SUSPENSE', 'BANK', 'internal', 'CNY', 0, 'active', 0, 0, 0, 0);

-- Payments (6.2 A2). status: pending_confirmation | risk_review | processing |
-- succeeded | failed | rejected | cancelled. (app_id, idem_key) is unique, so an
-- idempotency key can never yield two payments.
CREATE TABLE payments (
    payment_id     TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    consent_id     TEXT NOT NULL DEFAULT '',
    customer_id    TEXT NOT NULL,
    payer_account  TEXT NOT NULL,
    payee_account  TEXT NOT NULL,
    payee_name     TEXT NOT NULL,
    payee_external INTEGER NOT NULL,         -- 1: outside the bank, via BANK-EXTERNAL-CLEARING
    amount_fen     BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    memo           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    failure_code   TEXT NOT NULL DEFAULT '',
    failure_detail TEXT NOT NULL DEFAULT '',
    risk_reason    TEXT NOT NULL DEFAULT '',
    reviewed_by    TEXT NOT NULL DEFAULT '',
    review_note    TEXT NOT NULL DEFAULT '',
    posting_id     TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    finished_at    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX payments_idem ON payments (app_id, idem_key);
CREATE INDEX payments_payer_day ON payments (payer_account, created_at);
CREATE INDEX payments_customer_day ON payments (customer_id, created_at);
CREATE INDEX payments_app_day ON payments (app_id, created_at);
CREATE INDEX payments_status ON payments (status);

-- Idempotency reservations, insert-first: the first request for (app_id, idem_key)
-- inserts the row; a duplicate finds it. state: in_progress (reserved, no payment yet)
-- | executed (payment created, response not yet stored) | done (response stored for
-- byte-identical replays). lease_until lets a reservation left by a crashed process
-- expire; owner is the reserving request's token, so a late original cannot complete
-- a reservation another request has taken over. response_body is base64 (portable).
CREATE TABLE idempotency_keys (
    app_id           TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    state            TEXT NOT NULL,
    owner            TEXT NOT NULL,
    lease_until      BIGINT NOT NULL,
    payment_id       TEXT NOT NULL DEFAULT '',
    response_status  INTEGER NOT NULL DEFAULT 0,
    response_headers TEXT NOT NULL DEFAULT '',
    response_body    TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (app_id, idem_key)
);

-- Notification outbox (10.2.3/4: the decision reported to the partner), written in the
-- same transaction as the payment's final status. delivered_at 0: not yet delivered.
CREATE TABLE payment_notifications (
    notification_id TEXT PRIMARY KEY,
    payment_id      TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
CREATE INDEX payment_notifications_due ON payment_notifications (delivered_at, next_attempt_at);
