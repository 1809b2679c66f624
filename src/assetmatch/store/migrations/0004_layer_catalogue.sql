-- assetmatch PostGIS store, schema version 4: a catalogue of reference layers (the name as
-- given, looked up without regard to case, and the attribute columns in their order).
CREATE TABLE layer_catalogue (
    name_key text PRIMARY KEY,
    name     text NOT NULL,
    columns  jsonb NOT NULL
);
