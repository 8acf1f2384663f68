-- 0003: governance. Recipients read as a country or a network; row-level security policies (not
-- application filters) decide what each one sees, from the dissemination list every curated row
-- carries. The loader (table owner) is not subject to the policies; recipients are.

CREATE TABLE IF NOT EXISTS interlink.recipients (
    role_name name PRIMARY KEY,
    scope text NOT NULL,
    victim_access boolean NOT NULL DEFAULT false,
    granted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS interlink.recipient_networks (
    country text NOT NULL,
    network text NOT NULL,
    PRIMARY KEY (country, network)
);

-- The group every recipient role belongs to (cluster-wide, so created once, race-safe).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'interlink_recipient') THEN
        CREATE ROLE interlink_recipient NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

-- Scopes a role reads as: its country or network, plus the networks its country belongs to.
CREATE OR REPLACE FUNCTION interlink.scopes_of(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT s), '{}')
    FROM (
        SELECT r.scope AS s FROM interlink.recipients r WHERE r.role_name = who
        UNION
        SELECT n.network FROM interlink.recipients r
        JOIN interlink.recipient_networks n ON n.country = r.scope
        WHERE r.role_name = who
    ) x
$$;

-- A row is visible when its dissemination is empty (all members) or names one of the scopes.
-- NULL (no dissemination known) is visible to nobody: fail closed.
CREATE OR REPLACE FUNCTION interlink.may_see(d text[], who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE
        WHEN d IS NULL THEN false
        WHEN cardinality(d) = 0 THEN EXISTS (
            SELECT 1 FROM interlink.recipients r WHERE r.role_name = who)
        ELSE d && interlink.scopes_of(who)
    END
$$;

CREATE OR REPLACE FUNCTION interlink.victim_access(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT r.victim_access FROM interlink.recipients r WHERE r.role_name = who),
                    false)
$$;

-- A derived row (a link, a pair, a network…) is visible only when every source record it was
-- built from exists and is visible: it must not reveal more than its sources would.
CREATE OR REPLACE FUNCTION interlink.records_visible(keys text[], who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(cardinality(keys), 0) > 0 AND NOT EXISTS (
        SELECT 1 FROM unnest(keys) AS k(record_key)
        LEFT JOIN interlink.records r ON r.record_key = k.record_key
        WHERE r.record_key IS NULL OR NOT interlink.may_see(r.dissemination, who)
    )
$$;

REVOKE ALL ON FUNCTION interlink.scopes_of(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION interlink.may_see(text[], name) FROM PUBLIC;
REVOKE ALL ON FUNCTION interlink.victim_access(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION interlink.records_visible(text[], name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION interlink.scopes_of(name) TO interlink_recipient;
GRANT EXECUTE ON FUNCTION interlink.may_see(text[], name) TO interlink_recipient;
GRANT EXECUTE ON FUNCTION interlink.victim_access(name) TO interlink_recipient;
GRANT EXECUTE ON FUNCTION interlink.records_visible(text[], name) TO interlink_recipient;

CREATE INDEX IF NOT EXISTS case_links_record_keys ON interlink.case_links USING gin (record_keys);
CREATE INDEX IF NOT EXISTS network_members_record_keys
    ON interlink.network_members USING gin (record_keys);

DO $$
DECLARE
    t text;
BEGIN
    -- Tables whose rows come from one source record: their own dissemination decides.
    FOREACH t IN ARRAY ARRAY['records', 'person_records', 'travel_documents', 'cases', 'trends',
                             'feed_quality', 'ingestion_log'] LOOP
        EXECUTE format('ALTER TABLE interlink.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS recipient_read ON interlink.%I', t);
        EXECUTE format('CREATE POLICY recipient_read ON interlink.%I FOR SELECT '
                       'TO interlink_recipient USING (interlink.may_see(dissemination, '
                       'current_user))', t);
    END LOOP;
    -- Derived tables: every source record must be visible.
    FOREACH t IN ARRAY ARRAY['document_alerts', 'case_links', 'networks', 'network_members',
                             'notice_hits', 'match_explanations'] LOOP
        EXECUTE format('ALTER TABLE interlink.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS recipient_read ON interlink.%I', t);
        EXECUTE format('CREATE POLICY recipient_read ON interlink.%I FOR SELECT '
                       'TO interlink_recipient USING (interlink.records_visible(record_keys, '
                       'current_user))', t);
    END LOOP;
END $$;

-- Identities: visible like their record, and a victim's only to recipients with victim access.
ALTER TABLE interlink.person_identities ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS recipient_read ON interlink.person_identities;
CREATE POLICY recipient_read ON interlink.person_identities FOR SELECT TO interlink_recipient
    USING (interlink.may_see(dissemination, current_user)
           AND (role IS DISTINCT FROM 'victim' OR interlink.victim_access(current_user)));
