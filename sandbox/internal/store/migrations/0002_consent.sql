-- A2 user side: one-time codes, bank-side login sessions, OAuth 2.0 authorization code
-- with PKCE, consents and tokens. Portable SQL (TEXT, BIGINT, INTEGER, $n placeholders).
-- Times are unix nanoseconds; 0 means "not yet".
--
-- No secret is stored in the clear (JR/T 0185-2020 7.2.2/3): one-time codes are kept as
-- HMAC-SM3 under a pepper that is not in the database, session ids, authorization codes
-- and tokens as their SM3 digest. The payee's account number of a payment consent is
-- kept masked plus an SM3 digest for matching the later payment.

-- One-time codes (7.2.1 b) 2)): the phone factor. The plaintext lives only in the
-- sandbox's in-memory simulated phone, never here.
CREATE TABLE otp_codes (
    otp_id      TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    purpose     TEXT NOT NULL,              -- login | payment:<authorization request id>
    code_mac    TEXT NOT NULL,              -- hex HMAC-SM3(pepper, id, customer, purpose, code)
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used_at     BIGINT NOT NULL DEFAULT 0,
    superseded  INTEGER NOT NULL DEFAULT 0  -- 1 once a newer code was issued for the same purpose
);
CREATE INDEX otp_codes_live ON otp_codes (customer_id, purpose, superseded);
CREATE INDEX otp_codes_expiry ON otp_codes (expires_at);

-- Bank-side login sessions for the consent pages and the portal (9.3.1/3).
CREATE TABLE login_sessions (
    session_hash TEXT PRIMARY KEY,          -- SM3 of the session id
    customer_id  TEXT NOT NULL,
    username     TEXT NOT NULL,
    stage        TEXT NOT NULL,             -- otp (password accepted, code pending) | active | ended
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,           -- absolute end
    ended_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX login_sessions_customer ON login_sessions (customer_id);
CREATE INDEX login_sessions_expiry ON login_sessions (expires_at);

-- Failed logins per username; unknown usernames are tracked the same way so that a lock
-- does not reveal whether a username exists.
CREATE TABLE login_failures (
    username_key TEXT PRIMARY KEY,          -- SM3 of the lower-cased username
    failures     INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

-- OAuth 2.0 authorization requests awaiting the user's decision (9.3.2/1b, 10.2.2).
CREATE TABLE auth_requests (
    request_id     TEXT PRIMARY KEY,        -- random; appears in the consent page URL
    app_id         TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scopes         TEXT NOT NULL,           -- space-separated
    state          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,           -- PKCE S256
    kind           TEXT NOT NULL,           -- account_info | payment
    valid_days     INTEGER NOT NULL DEFAULT 0,
    amount_fen     BIGINT NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL DEFAULT '',
    payee_name     TEXT NOT NULL DEFAULT '',
    payee_masked   TEXT NOT NULL DEFAULT '',
    payee_digest   TEXT NOT NULL DEFAULT '',
    account_hint   TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,           -- pending | approved | refused
    customer_id    TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    decided_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);

-- Consents: what the user agreed to, with its validity (9.3.2/1b, 1c).
CREATE TABLE consents (
    consent_id    TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    app_id        TEXT NOT NULL,
    kind          TEXT NOT NULL,            -- account_info (periodic) | payment (single use)
    scopes        TEXT NOT NULL,
    status        TEXT NOT NULL,            -- active | revoked | expired | used
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    amount_fen    BIGINT NOT NULL DEFAULT 0,
    currency      TEXT NOT NULL DEFAULT '',
    payee_name    TEXT NOT NULL DEFAULT '',
    payee_masked  TEXT NOT NULL DEFAULT '',
    payee_digest  TEXT NOT NULL DEFAULT '',
    revoked_at    BIGINT NOT NULL DEFAULT 0,
    revoked_by    TEXT NOT NULL DEFAULT '', -- user | partner | bank
    revoke_reason TEXT NOT NULL DEFAULT '',
    used_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX consents_customer ON consents (customer_id, created_at);
CREATE INDEX consents_app ON consents (app_id, status);

CREATE TABLE consent_accounts (
    consent_id TEXT NOT NULL REFERENCES consents (consent_id),
    account_no TEXT NOT NULL,
    PRIMARY KEY (consent_id, account_no)
);

-- Authorization codes: single use, short-lived, bound to App_ID, redirect URI and PKCE.
CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,        -- SM3 of the code
    consent_id     TEXT NOT NULL REFERENCES consents (consent_id),
    app_id         TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT NOT NULL DEFAULT 0
);

-- Access and refresh tokens (9.2.1 b) 3), 4)): opaque, stored as SM3 digests, bound to
-- the App_ID and the client certificate's SM3 fingerprint.
CREATE TABLE oauth_tokens (
    token_hash       TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,         -- access | refresh
    consent_id       TEXT NOT NULL REFERENCES consents (consent_id),
    app_id           TEXT NOT NULL,
    cert_fingerprint TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    rotated_at       BIGINT NOT NULL DEFAULT 0, -- refresh tokens: exchanged for a new pair
    revoked_at       BIGINT NOT NULL DEFAULT 0,
    revoked_by       TEXT NOT NULL DEFAULT ''   -- user | partner | bank | reuse
);
CREATE INDEX oauth_tokens_consent ON oauth_tokens (consent_id);
CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id, revoked_at);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
