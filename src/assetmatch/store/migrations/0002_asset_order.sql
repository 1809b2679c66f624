-- assetmatch PostGIS store, schema version 2: assets keep the order they arrived in
-- (as the GeoPackage store's fid does), so both stores list them alike.
ALTER TABLE assets ADD COLUMN fid bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX assets_fid ON assets (fid);
