-- 0004: the same views as in PostgreSQL. The embedded DuckDB warehouse has one reader (the
-- operator), so nothing is masked here; recipients read PostgreSQL.

CREATE OR REPLACE VIEW interlink.persons AS
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

CREATE OR REPLACE VIEW interlink.entities AS
SELECT p.entity_id,
       count(*) AS n_records,
       list_sort(array_agg(DISTINCT p.source_country)) AS countries,
       list_sort(array_agg(DISTINCT p.role)) AS roles,
       list_sort(array_agg(DISTINCT i.primary_name) FILTER (WHERE i.primary_name IS NOT NULL))
           AS names,
       list_sort(array_agg(DISTINCT p.birth_date) FILTER (WHERE p.birth_date IS NOT NULL))
           AS birth_dates,
       bool_or(i.row_key IS NULL) AS has_masked_identity,
       max(p.handling_code) AS handling_code,
       string_agg(DISTINCT p.caveat, ' ' ORDER BY p.caveat) AS caveat
FROM interlink.person_records p
LEFT JOIN interlink.person_identities i
    ON i.source_country = p.source_country AND i.record_id = p.record_id
WHERE p.entity_id IS NOT NULL
GROUP BY p.entity_id;
