-- 0008: masking through every table (issue 16). 0007 hid a victim's person record and every row
-- derived from it from recipients without victim access; two ways around it remained:
--
-- * person_records.entity_records / entity_countries counted every record of the entity, so a
--   visible suspect's row told that a hidden record (a victim's) had joined his entity, and from
--   how many countries. The columns go: the `entities` view counts what the reader sees.
-- * travel_documents (and the document alerts built on them) carry the holder's name and the
--   document number: a victim's stolen passport named her. The loader now copies the holder's
--   role into holder_role ('unknown' when the holder's record is not held: erased, never
--   sent; nothing then says she is not a victim); a victim's or an unknown holder's document is
--   hidden like a victim's identity, and a derived row built on a document the reader cannot
--   see (an alert on it) is hidden with it.
ALTER TABLE interlink.person_records DROP COLUMN IF EXISTS entity_records;
ALTER TABLE interlink.person_records DROP COLUMN IF EXISTS entity_countries;
ALTER TABLE interlink.travel_documents ADD COLUMN IF NOT EXISTS holder_role text;

DROP POLICY IF EXISTS recipient_read ON interlink.travel_documents;
CREATE POLICY recipient_read ON interlink.travel_documents FOR SELECT TO interlink_recipient
    USING (interlink.visible_to(dissemination, (SELECT interlink.my_scopes()))
           AND (holder_role IS NULL OR holder_role NOT IN ('victim', 'unknown')
                OR (SELECT interlink.victim_access())));

-- Derived tables: as in 0007, every source record visible to the reader, a person record among
-- them visible as a person, and now a travel-document record visible as a document. The
-- look-ups run under the reader's own policies, so a hidden document and a missing one look
-- alike.
DO $$
DECLARE
    t text;
BEGIN
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
                                  = k.record_key))
                       OR (split_part(k.record_key, '/', 2) = 'travel_document' AND NOT EXISTS (
                            SELECT 1 FROM interlink.travel_documents d
                            WHERE d.source_country || '/travel_document/' || d.record_id
                                  = k.record_key)))
            )$p$, t);
    END LOOP;
END $$;

-- The derived policies look a document up by its record key, as they do person records.
CREATE INDEX IF NOT EXISTS travel_documents_record_key
    ON interlink.travel_documents ((source_country || '/travel_document/' || record_id));

-- The records a rejected row stands on, so that erasing one (a deletion, a retention purge)
-- removes its entry too: its key and reason may quote the record's own values.
ALTER TABLE interlink.rejected_rows ADD COLUMN IF NOT EXISTS record_keys text[];
