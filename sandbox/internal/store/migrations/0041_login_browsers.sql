-- Browsers that completed a two-factor login for a username (JR/T 0185-2020 10.2.2/1).
-- Failed logins lock per username and browser; failures from browsers a username never
-- logged in from are also counted together, and past their limit only the username's
-- known browsers may still log in. The key is the SM3 digest of the username and the
-- browser's random binding: neither is stored.
CREATE TABLE login_browsers (
    browser_key TEXT PRIMARY KEY,
    known_until BIGINT NOT NULL
);
