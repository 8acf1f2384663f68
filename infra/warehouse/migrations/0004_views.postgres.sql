-- 0004: the views recipients read. security_invoker: the reader's own row-level security applies
-- to every table underneath, so a view never shows more than the tables would.

CREATE OR REPLACE VIEW interlink.persons WITH (security_invoker = true, security_barrier = true) AS
SELECT p.source_country, p.record_id, p.record_version, p.entity_id, p.role, p.sex,
       p.birth_date, p.birth_year, p.nationalities, p.case_refs,
       (i.row_key IS NULL) AS identity_masked,
       CASE WHEN i.row_key IS NULL THEN '[masked]' ELSE i.primary_name END AS primary_name,
       i.primary_name_latin, i.name_script, i.names, i.documents, i.phones, i.emails,
       i.address_countries, i.birth_country, i.birth_place, i.description,
       r.source_agency, r.topic, r.kafka_partition, r.kafka_offset, r.ingest_time,
       r.reported_at, r.review_by,
       p.dissemination, p.handling_code, p.handling_note, p.caveat
FROM interlink.person_records p
LEFT JOIN interlink.person_identities i
    ON i.source_country = p.source_country AND i.record_id = p.record_id
LEFT JOIN interlink.records r ON r.record_key = p.source_country || '/person/' || p.record_id;

CREATE OR REPLACE VIEW interlink.entities WITH (security_invoker = true, security_barrier = true) AS
SELECT p.entity_id,
       count(*) AS n_records,
       array_agg(DISTINCT p.source_country ORDER BY p.source_country) AS countries,
       array_agg(DISTINCT p.role ORDER BY p.role) AS roles,
       array_agg(DISTINCT i.primary_name ORDER BY i.primary_name)
           FILTER (WHERE i.primary_name IS NOT NULL) AS names,
       array_agg(DISTINCT p.birth_date ORDER BY p.birth_date)
           FILTER (WHERE p.birth_date IS NOT NULL) AS birth_dates,
       bool_or(i.row_key IS NULL) AS has_masked_identity,
       max(p.handling_code) AS handling_code,
       string_agg(DISTINCT p.caveat, ' ' ORDER BY p.caveat) AS caveat
FROM interlink.person_records p
LEFT JOIN interlink.person_identities i
    ON i.source_country = p.source_country AND i.record_id = p.record_id
WHERE p.entity_id IS NOT NULL
GROUP BY p.entity_id;

GRANT USAGE ON SCHEMA interlink TO interlink_recipient;
GRANT SELECT ON interlink.records, interlink.person_records, interlink.person_identities,
    interlink.travel_documents, interlink.document_alerts, interlink.cases, interlink.case_links,
    interlink.networks, interlink.network_members, interlink.notice_hits,
    interlink.match_explanations, interlink.trends, interlink.feed_quality,
    interlink.ingestion_log, interlink.persons, interlink.entities TO interlink_recipient;
