-- 0008: no column counts or names a victim's record where the reader cannot see it (issue 16).
-- The embedded DuckDB warehouse has one reader (the operator): only the shape changes here, so
-- that both dialects keep the catalog's columns; PostgreSQL's file adds the policies.
ALTER TABLE interlink.person_records DROP COLUMN IF EXISTS entity_records;
ALTER TABLE interlink.person_records DROP COLUMN IF EXISTS entity_countries;
ALTER TABLE interlink.travel_documents ADD COLUMN IF NOT EXISTS holder_role VARCHAR;
-- The records a rejected row stands on, so that erasing one removes its entry (issue 16).
ALTER TABLE interlink.rejected_rows ADD COLUMN IF NOT EXISTS record_keys VARCHAR[];
