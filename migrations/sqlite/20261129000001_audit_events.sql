-- The audit trail: every step of every namespace request, append-only.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT    NOT NULL,
    actor       TEXT    NOT NULL CHECK (length(actor) BETWEEN 1 AND 256),
    action      TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 128),
    subject     TEXT    NOT NULL CHECK (length(subject) <= 512),
    detail      TEXT    NOT NULL DEFAULT '' CHECK (length(detail) <= 8192)
);

CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_subject ON audit_events (subject, id);

-- Append-only: the database itself refuses to change or remove history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
