-- assetmatch PostGIS store, schema version 6: the zone's land-use policy table, versioned.
-- Each row is one version of the table (its rules as JSON); versions are never overwritten.
CREATE TABLE zone_policy (
    fid           bigint GENERATED ALWAYS AS IDENTITY,
    version       integer PRIMARY KEY,
    valid_from    text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    rules         text NOT NULL,
    rules_version text,
    author        text,
    note          text,
    source        text
);

CREATE FUNCTION am_zone_policy_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'zone_policy is append-only: a policy version is never %',
        CASE TG_OP WHEN 'UPDATE' THEN 'overwritten' ELSE 'deleted' END
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER zone_policy_append_only BEFORE UPDATE OR DELETE ON zone_policy
    FOR EACH ROW EXECUTE FUNCTION am_zone_policy_append_only();
