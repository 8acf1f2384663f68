-- 0002: bookkeeping of loads, the audit log (never purged), tombstones of removed records.
CREATE TABLE IF NOT EXISTS interlink.load_log (
    load_id bigint PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    full_reload boolean NOT NULL,
    summary jsonb
);

CREATE SEQUENCE IF NOT EXISTS interlink.audit_log_seq;
CREATE TABLE IF NOT EXISTS interlink.audit_log (
    audit_id bigint PRIMARY KEY DEFAULT nextval('interlink.audit_log_seq'),
    logged_at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,
    record_key text,
    source_country text,
    feed text,
    record_id text,
    record_version bigint,
    reason text NOT NULL,
    actor text NOT NULL DEFAULT current_user,
    details jsonb
);
-- The audit log outlives every record it mentions: nobody may change or delete its rows.
CREATE OR REPLACE FUNCTION interlink.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'interlink.audit_log is append-only (% refused)', TG_OP;
END $$;
DROP TRIGGER IF EXISTS audit_log_append_only ON interlink.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON interlink.audit_log
    FOR EACH ROW EXECUTE FUNCTION interlink.audit_log_is_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON interlink.audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON interlink.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION interlink.audit_log_is_append_only();

CREATE TABLE IF NOT EXISTS interlink.purged_records (
    record_key text PRIMARY KEY,
    record_version bigint NOT NULL,
    action text NOT NULL,
    purged_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS records_record_key ON interlink.records (record_key);
CREATE INDEX IF NOT EXISTS records_review_by ON interlink.records (review_by);
CREATE INDEX IF NOT EXISTS person_records_entity ON interlink.person_records (entity_id);
