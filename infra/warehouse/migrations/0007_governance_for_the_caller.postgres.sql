-- 0007: governance that answers only for the caller, and masking that survives resolution
-- (issue 16).
--
-- No oracle: the 0003 helpers were SECURITY DEFINER and took the role to answer for, so any
-- recipient could ask `records_visible(keys, 'other_role')` whether a record hidden from it
-- exists, and learn every recipient's scope. Nothing takes a role any more: my_scopes() and
-- victim_access() read the caller's own governance rows (current_user, SECURITY INVOKER, under
-- the policies below: a recipient reads its own rows and nobody else's), visible_to() is a pure
-- function of its arguments, and a derived row's policy looks its sources up under the reader's
-- own policies, so a hidden record and a missing one look alike.
--
-- Masking through resolution: a victim's person record (role, sex, birth date, entity…) is now
-- hidden like its identity from recipients without victim access, so a victim resolved into an
-- entity with visible suspect records is not linked to them anywhere (person_records, persons,
-- entities), and a derived row built from it (a pair, a notice hit, a document alert, a network
-- whose entity holds it) is hidden with it. The record's provenance (records) stays visible:
-- persons shows it as a masked row.

-- Each recipient reads its own governance rows.
ALTER TABLE interlink.recipients ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_row ON interlink.recipients;
CREATE POLICY own_row ON interlink.recipients FOR SELECT TO interlink_recipient
    USING (role_name = current_user);
ALTER TABLE interlink.recipient_networks ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_country ON interlink.recipient_networks;
CREATE POLICY own_country ON interlink.recipient_networks FOR SELECT TO interlink_recipient
    USING (country IN (SELECT r.scope FROM interlink.recipients r WHERE r.role_name = current_user));
GRANT SELECT ON interlink.recipients, interlink.recipient_networks TO interlink_recipient;

-- What the caller reads as, asked once per query: the policies below wrap these calls in a
-- scalar sub-select, which PostgreSQL evaluates once (an InitPlan), not once per row. Invoker's
-- rights: they read the caller's own governance rows, under the policies above.
CREATE OR REPLACE FUNCTION interlink.my_scopes() RETURNS text[]
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT coalesce(array_agg(DISTINCT s), '{}')
    FROM (
        SELECT r.scope AS s FROM interlink.recipients r WHERE r.role_name = current_user
        UNION
        SELECT n.network FROM interlink.recipients r
        JOIN interlink.recipient_networks n ON n.country = r.scope
        WHERE r.role_name = current_user
    ) x
$$;

CREATE OR REPLACE FUNCTION interlink.victim_access() RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT coalesce((SELECT r.victim_access FROM interlink.recipients r
                     WHERE r.role_name = current_user), false)
$$;

-- A row is visible when its dissemination is empty (all members: any recipient, and every
-- recipient has a scope) or names one of the reader's scopes. NULL (no dissemination known) is
-- visible to nobody: fail closed. A pure function of its arguments (it reads nothing, so it
-- can tell nobody anything), inlined by the planner.
CREATE OR REPLACE FUNCTION interlink.visible_to(d text[], scopes text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN d IS NULL THEN false
        WHEN cardinality(d) = 0 THEN coalesce(cardinality(scopes), 0) > 0
        ELSE d && scopes
    END
$$;

CREATE INDEX IF NOT EXISTS person_records_record_key
    ON interlink.person_records ((source_country || '/person/' || record_id));

DO $$
DECLARE
    t text;
    own constant text := 'interlink.visible_to(dissemination, (SELECT interlink.my_scopes()))';
BEGIN
    FOREACH t IN ARRAY ARRAY['records', 'travel_documents', 'cases', 'trends', 'feed_quality',
                             'ingestion_log'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS recipient_read ON interlink.%I', t);
        EXECUTE format('CREATE POLICY recipient_read ON interlink.%I FOR SELECT '
                       'TO interlink_recipient USING (%s)', t, own);
    END LOOP;
    -- A person record and its identity: a victim's only with victim access.
    FOREACH t IN ARRAY ARRAY['person_records', 'person_identities'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS recipient_read ON interlink.%I', t);
        EXECUTE format('CREATE POLICY recipient_read ON interlink.%I FOR SELECT '
                       'TO interlink_recipient USING (%s AND (role IS DISTINCT FROM ''victim'' '
                       'OR (SELECT interlink.victim_access())))', t, own);
    END LOOP;
    -- Derived tables: every source record visible to the reader, and every person record among
    -- them visible as a person (not a victim's, without victim access). The look-ups run under
    -- the reader's own policies on records and person_records, so that is all they need to
    -- ask. Not only the rows carrying a person's details (a pair's levels, a notice hit, a
    -- document number seen in her record) are hidden with a victim's record: every derived row
    -- lists its sources in record_keys, an entity's person records included, so a visible
    -- network member would tell which entity the victim's record belongs to.
    FOREACH t IN ARRAY ARRAY['document_alerts', 'case_links', 'networks', 'network_members',
                             'notice_hits', 'match_explanations'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS recipient_read ON interlink.%I', t);
        EXECUTE format($p$CREATE POLICY recipient_read ON interlink.%I FOR SELECT
            TO interlink_recipient USING (
                coalesce(cardinality(record_keys), 0) > 0 AND NOT EXISTS (
                    SELECT 1 FROM unnest(record_keys) AS k(record_key)
                    WHERE NOT EXISTS (SELECT 1 FROM interlink.records r
                                      WHERE r.record_key = k.record_key)
                       OR (split_part(k.record_key, '/', 2) = 'person' AND NOT EXISTS (
                            SELECT 1 FROM interlink.person_records p
                            WHERE p.source_country || '/person/' || p.record_id
                                  = k.record_key)))
            )$p$, t);
    END LOOP;
END $$;

-- Persons: every person record the caller may see in records, its person attributes and
-- identity where the caller may see them, else a masked row.
CREATE OR REPLACE VIEW interlink.persons WITH (security_invoker = true, security_barrier = true) AS
SELECT r.source_country, r.record_id, r.record_version, p.entity_id, p.role, p.sex,
       p.birth_date, p.birth_year, p.nationalities, p.case_refs,
       (i.row_key IS NULL) AS identity_masked,
       CASE WHEN i.row_key IS NULL THEN '[masked]' ELSE i.primary_name END AS primary_name,
       i.primary_name_latin, i.name_script, i.names, i.documents, i.phones, i.emails,
       i.address_countries, i.birth_country, i.birth_place, i.description,
       r.source_agency, r.topic, r.kafka_partition, r.kafka_offset, r.ingest_time,
       r.reported_at, r.review_by,
       r.dissemination, r.handling_code, r.handling_note, r.caveat
FROM interlink.records r
LEFT JOIN interlink.person_records p
    ON p.source_country = r.source_country AND p.record_id = r.record_id
LEFT JOIN interlink.person_identities i
    ON i.source_country = r.source_country AND i.record_id = r.record_id
WHERE r.feed = 'person';

-- The old helpers answered for any role the caller named: gone (nothing refers to them now).
DROP FUNCTION IF EXISTS interlink.records_visible(text[], name);
DROP FUNCTION IF EXISTS interlink.may_see(text[], name);
DROP FUNCTION IF EXISTS interlink.victim_access(name);
DROP FUNCTION IF EXISTS interlink.scopes_of(name);

REVOKE ALL ON FUNCTION interlink.my_scopes(), interlink.victim_access(),
    interlink.visible_to(text[], text[]) FROM PUBLIC;
-- Policies run as the reader: recipients need to execute what their policies call.
GRANT EXECUTE ON FUNCTION interlink.my_scopes(), interlink.victim_access(),
    interlink.visible_to(text[], text[]) TO interlink_recipient;

-- Nothing in the schema is PUBLIC's to run (the audit trigger fires without the privilege).
REVOKE ALL ON FUNCTION interlink.audit_log_is_append_only() FROM PUBLIC;
