-- assetmatch PostGIS store, schema version 7: a create event written by an import refers to
-- its asset row as first written instead of copying it (value NULL, geom_id the row's
-- geometry). The row carries the event's id in create_event; before the row first changes or
-- goes, a trigger keeps it in asset_versions (append-only) and clears the mark. Create events
-- written before keep their full records; both kinds are read alike.
ALTER TABLE assets ADD COLUMN create_event bigint;
CREATE INDEX assets_create_event ON assets (create_event) WHERE create_event IS NOT NULL;

CREATE TABLE asset_versions (
    event_id bigint PRIMARY KEY,
    asset_id text NOT NULL,
    attrs    jsonb NOT NULL
);

CREATE FUNCTION am_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'asset_versions is append-only: history is never %',
        CASE TG_OP WHEN 'UPDATE' THEN 'overwritten' ELSE 'deleted' END
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER asset_versions_no_update BEFORE UPDATE OR DELETE ON asset_versions
    FOR EACH ROW EXECUTE FUNCTION am_versions_append_only();
CREATE TRIGGER asset_versions_no_truncate BEFORE TRUNCATE ON asset_versions
    FOR EACH STATEMENT EXECUTE FUNCTION am_versions_append_only();

CREATE FUNCTION am_assets_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_versions (event_id, asset_id, attrs)
        VALUES (OLD.create_event, OLD.asset_id, OLD.attrs)
        ON CONFLICT (event_id) DO NOTHING;
    IF TG_OP = 'UPDATE' THEN
        NEW.create_event := NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER assets_keep_version BEFORE UPDATE OR DELETE ON assets
    FOR EACH ROW WHEN (OLD.create_event IS NOT NULL) EXECUTE FUNCTION am_assets_keep_version();
