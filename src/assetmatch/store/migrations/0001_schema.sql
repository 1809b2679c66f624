-- assetmatch PostGIS store, schema version 1.
-- Every geometry is stored once, in the store's projected CRS (metres); events that change
-- a boundary reference the geometry version instead of copying it.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE am_meta (
    key   text PRIMARY KEY,
    value text
);

CREATE TABLE geometries (
    geom_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    geom    geometry NOT NULL
);

CREATE TABLE assets (
    asset_id    text PRIMARY KEY,
    attrs       jsonb NOT NULL DEFAULT '{}'::jsonb,
    land_class  text,
    extra       jsonb,
    valid_from  text,
    recorded_at timestamptz,
    geom_id     bigint REFERENCES geometries (geom_id),
    geom        geometry
);
CREATE INDEX assets_geom_gist ON assets USING gist (geom);

CREATE TABLE asset_events (
    event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id    text NOT NULL,
    kind        text NOT NULL,
    field       text,
    value       text,
    geom_id     bigint REFERENCES geometries (geom_id),
    valid_at    text NOT NULL,
    recorded_at timestamptz NOT NULL,
    author      text,
    note        text,
    batch_id    text,
    source      text
);
CREATE INDEX asset_events_asset ON asset_events (asset_id, event_id);

CREATE FUNCTION am_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'asset_events is append-only: history is never %',
        CASE TG_OP WHEN 'UPDATE' THEN 'overwritten' ELSE 'deleted' END
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER asset_events_no_update BEFORE UPDATE ON asset_events
    FOR EACH ROW EXECUTE FUNCTION am_events_append_only();
CREATE TRIGGER asset_events_no_delete BEFORE DELETE ON asset_events
    FOR EACH ROW EXECUTE FUNCTION am_events_append_only();
CREATE TRIGGER asset_events_no_truncate BEFORE TRUNCATE ON asset_events
    FOR EACH STATEMENT EXECUTE FUNCTION am_events_append_only();

CREATE TABLE firms (
    firm_id   text PRIMARY KEY,
    name      text,
    industry  text,
    employees integer,
    extra     jsonb,
    geom      geometry(Point)
);
CREATE INDEX firms_geom_gist ON firms USING gist (geom);

CREATE TABLE layers (
    name       text NOT NULL,
    feature_id bigint NOT NULL,
    attrs      jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom       geometry,
    PRIMARY KEY (name, feature_id)
);
CREATE INDEX layers_geom_gist ON layers USING gist (geom);

CREATE TABLE context (
    asset_id text PRIMARY KEY,
    features jsonb NOT NULL
);

CREATE TABLE deals (
    deal_id      text PRIMARY KEY,
    investor     text,
    industry     text,
    signed_at    date,
    asset_id     text,
    requirements text,
    outcome      text
);
