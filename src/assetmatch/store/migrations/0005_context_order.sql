-- assetmatch PostGIS store, schema version 5: context rows keep the order they arrived in.
ALTER TABLE context ADD COLUMN fid bigint GENERATED ALWAYS AS IDENTITY;
