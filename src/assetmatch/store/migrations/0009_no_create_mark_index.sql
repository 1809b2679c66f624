-- assetmatch PostGIS store, schema version 9: create events are written by COPY and a create
-- event finds its row by asset_id (the primary key) and the mark, so the index on the mark only
-- cost each imported row one more entry.
DROP INDEX assets_create_event;
