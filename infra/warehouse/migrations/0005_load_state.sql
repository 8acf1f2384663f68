-- 0005: what each load read, so that a load whose sources did not change since the last one
-- returns at once (DAG runs every few minutes). One file for both dialects.
CREATE TABLE IF NOT EXISTS interlink.load_state (
    name VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    load_id BIGINT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
