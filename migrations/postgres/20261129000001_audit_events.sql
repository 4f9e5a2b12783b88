-- The audit trail: every step of every namespace request, append-only.
CREATE TABLE audit_events (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor       TEXT        NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 256),
    action      TEXT        NOT NULL CHECK (char_length(action) BETWEEN 1 AND 128),
    subject     TEXT        NOT NULL CHECK (char_length(subject) <= 512),
    detail      TEXT        NOT NULL DEFAULT '' CHECK (char_length(detail) <= 8192)
);

CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_subject ON audit_events (subject, id);

-- Append-only: the database itself refuses to change or remove history.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
