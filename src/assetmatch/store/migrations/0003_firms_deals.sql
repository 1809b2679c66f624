-- assetmatch PostGIS store, schema version 3: firms kept like assets (the stored row as
-- jsonb beside the point, arrival order in fid); deals keep their arrival order too.
-- No version of assetmatch wrote firms before this migration, so the table is rebuilt.
DROP TABLE firms;
CREATE TABLE firms (
    firm_id text PRIMARY KEY,
    attrs   jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom    geometry,
    fid     bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX firms_geom_gist ON firms USING gist (geom);
CREATE INDEX firms_fid ON firms (fid);
ALTER TABLE deals ADD COLUMN fid bigint GENERATED ALWAYS AS IDENTITY;
