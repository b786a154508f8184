-- Per-App_ID payment limits and velocity thresholds (JR/T 0185-2020 10.2.1/3: 交易额度
-- 与应用方风险承受能力相匹配; 10.2.3/1: 实时监控). Zero means the bank's default.
CREATE TABLE payment_app_limits (
    app_id            TEXT PRIMARY KEY,
    per_txn_fen       BIGINT NOT NULL DEFAULT 0,
    daily_fen         BIGINT NOT NULL DEFAULT 0,
    velocity_max      INTEGER NOT NULL DEFAULT 0,
    velocity_window_s INTEGER NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL
);
