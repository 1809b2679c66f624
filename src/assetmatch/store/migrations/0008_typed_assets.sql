-- assetmatch PostGIS store, schema version 8: asset rows in typed columns, one per attribute
-- (the columns of the GeoPackage store's assets table: text, double precision, bigint, boolean;
-- dates and the recording time as the ISO text both stores keep, lists and extra as JSON text)
-- instead of one jsonb document. An import's rows go in by binary COPY without JSON at either
-- end: for 10,000 rows the jsonb document cost the server 0.3-0.45 s of CPU and the client
-- 0.36 s to encode.
--
-- A create event written by an import now keeps its geometry in the asset row too (its geom_id
-- is NULL, as is the row's): the geometry is stored once, not also in geometries. Before such
-- a row first changes or goes, the trigger keeps its geometry in asset_versions beside its
-- attributes. Rows written before keep their geom_id and their events' geometry.
ALTER TABLE assets
    DROP COLUMN land_class,
    DROP COLUMN extra,
    DROP COLUMN valid_from,
    DROP COLUMN recorded_at,
    ADD COLUMN name text,
    ADD COLUMN kind text,
    ADD COLUMN land_area_m2 double precision,
    ADD COLUMN declared_land_area_m2 double precision,
    ADD COLUMN has_boundary boolean,
    ADD COLUMN building_area_m2 double precision,
    ADD COLUMN floors bigint,
    ADD COLUMN floor_height_m double precision,
    ADD COLUMN floor_load_kn_m2 double precision,
    ADD COLUMN power_kva double precision,
    ADD COLUMN land_use text,
    ADD COLUMN land_use_scheme text,
    ADD COLUMN status text,
    ADD COLUMN tenure text,
    ADD COLUMN rent_yuan_m2_month double precision,
    ADD COLUMN land_price_yuan_mu double precision,
    ADD COLUMN idle_since text,
    ADD COLUMN ready_date text,
    ADD COLUMN agreed_start_date text,
    ADD COLUMN developed_share double precision,
    ADD COLUMN invested_share double precision,
    ADD COLUMN government_delay boolean,
    ADD COLUMN net_land boolean,
    ADD COLUMN obstacles text,
    ADD COLUMN district text,
    ADD COLUMN tax_yuan_per_mu double precision,
    ADD COLUMN output_yuan_per_mu double precision,
    ADD COLUMN owner text,
    ADD COLUMN contact text,
    ADD COLUMN land_class text,
    ADD COLUMN extra text,
    ADD COLUMN valid_from text,
    ADD COLUMN recorded_at text;

-- the values move out of the document; the rows stay what they were, so no version is kept
ALTER TABLE assets DISABLE TRIGGER assets_keep_version;
UPDATE assets SET
    name = attrs->>'name',
    kind = attrs->>'kind',
    land_area_m2 = (attrs->>'land_area_m2')::double precision,
    declared_land_area_m2 = (attrs->>'declared_land_area_m2')::double precision,
    has_boundary = (attrs->>'has_boundary')::boolean,
    building_area_m2 = (attrs->>'building_area_m2')::double precision,
    floors = (attrs->>'floors')::numeric::bigint,
    floor_height_m = (attrs->>'floor_height_m')::double precision,
    floor_load_kn_m2 = (attrs->>'floor_load_kn_m2')::double precision,
    power_kva = (attrs->>'power_kva')::double precision,
    land_use = attrs->>'land_use',
    land_use_scheme = attrs->>'land_use_scheme',
    status = attrs->>'status',
    tenure = attrs->>'tenure',
    rent_yuan_m2_month = (attrs->>'rent_yuan_m2_month')::double precision,
    land_price_yuan_mu = (attrs->>'land_price_yuan_mu')::double precision,
    idle_since = attrs->>'idle_since',
    ready_date = attrs->>'ready_date',
    agreed_start_date = attrs->>'agreed_start_date',
    developed_share = (attrs->>'developed_share')::double precision,
    invested_share = (attrs->>'invested_share')::double precision,
    government_delay = (attrs->>'government_delay')::boolean,
    net_land = (attrs->>'net_land')::boolean,
    obstacles = attrs->>'obstacles',
    district = attrs->>'district',
    tax_yuan_per_mu = (attrs->>'tax_yuan_per_mu')::double precision,
    output_yuan_per_mu = (attrs->>'output_yuan_per_mu')::double precision,
    owner = attrs->>'owner',
    contact = attrs->>'contact',
    land_class = attrs->>'land_class',
    extra = attrs->>'extra',
    valid_from = attrs->>'valid_from',
    recorded_at = attrs->>'recorded_at';
ALTER TABLE assets ENABLE TRIGGER assets_keep_version;
ALTER TABLE assets DROP COLUMN attrs;

ALTER TABLE asset_versions ADD COLUMN geom geometry;

-- the row as first written, as a document (to_jsonb of the typed row without its bookkeeping)
-- and, when its create event does not refer to a stored geometry, its geometry
CREATE OR REPLACE FUNCTION am_assets_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_versions (event_id, asset_id, attrs, geom)
        VALUES (
            OLD.create_event,
            OLD.asset_id,
            to_jsonb(OLD) - ARRAY['asset_id', 'geom', 'geom_id', 'fid', 'create_event'],
            CASE WHEN OLD.geom_id IS NULL THEN OLD.geom END
        )
        ON CONFLICT (event_id) DO NOTHING;
    IF TG_OP = 'UPDATE' THEN
        NEW.create_event := NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;
