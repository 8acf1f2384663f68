-- 0002: bookkeeping of loads, the audit log (never purged), tombstones of removed records.
CREATE TABLE IF NOT EXISTS interlink.load_log (
    load_id BIGINT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    full_reload BOOLEAN NOT NULL,
    summary JSON
);

CREATE SEQUENCE IF NOT EXISTS interlink.audit_log_seq;
CREATE TABLE IF NOT EXISTS interlink.audit_log (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('interlink.audit_log_seq'),
    logged_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    action VARCHAR NOT NULL,
    record_key VARCHAR,
    source_country VARCHAR,
    feed VARCHAR,
    record_id VARCHAR,
    record_version BIGINT,
    reason VARCHAR NOT NULL,
    actor VARCHAR NOT NULL DEFAULT 'interlink',
    details JSON
);

CREATE TABLE IF NOT EXISTS interlink.purged_records (
    record_key VARCHAR PRIMARY KEY,
    record_version BIGINT NOT NULL,
    action VARCHAR NOT NULL,
    purged_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE INDEX IF NOT EXISTS records_record_key ON interlink.records (record_key);
