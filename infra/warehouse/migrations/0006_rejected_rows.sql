-- 0006: rows a load could not store, set aside so that one bad row never blocks a load (issue
-- 16). Keys and reasons only, no content. One file for both dialects.
CREATE TABLE IF NOT EXISTS interlink.rejected_rows (
    load_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    row_key VARCHAR NOT NULL,
    row_identity VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (table_name, row_key)
);
