-- What the bank publishes about its APIs and its partners (JR/T 0185-2020 7.1/6, 10.3/1,
-- 11/1, 9.1.2). Portable SQL, as in 0001.

-- The change log: one row per published change of the API catalogue. seq 1 is the
-- first publication; the document version is derived from seq (1.<seq-1>.0).
CREATE TABLE api_changes (
    seq        INTEGER PRIMARY KEY,
    at         BIGINT NOT NULL,
    api_id     TEXT NOT NULL DEFAULT '',     -- '' for the first publication
    u_api_id   TEXT NOT NULL DEFAULT '',
    change     TEXT NOT NULL,                -- published | deprecated | deprecation-withdrawn | terminated | offline | reinstated
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    effective  BIGINT NOT NULL,              -- when the change takes effect (the sunset for a deprecation)
    notice     TEXT NOT NULL DEFAULT ''
);

-- Notices sent to partners about changes of the APIs they were granted (10.3/1, 11/1).
CREATE TABLE api_notices (
    app_id     TEXT NOT NULL,
    change_seq INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, change_seq)
);

-- Identity materials a partner submitted at registration (9.1.2): the organisation and
-- its unified social credit code, the legal representative, the main developers. ID
-- numbers are kept for the bank's review and shown masked.
CREATE TABLE partner_profiles (
    app_id       TEXT PRIMARY KEY,
    org_name     TEXT NOT NULL,
    uscc         TEXT NOT NULL,
    materials    TEXT NOT NULL,               -- JSON of the submitted materials
    created_at   BIGINT NOT NULL
);
CREATE INDEX partner_profiles_uscc ON partner_profiles (uscc);
