-- Namespace requests: what a developer asked for, and where the request stands.
--
-- The status moves only through the state machine in app/src/domain/namespace_request.rs; every
-- change is a compare-and-set on the status (UPDATE … WHERE status = the status read), so two
-- administrators or two replicas can never both approve or provision one request.
CREATE TABLE namespace_requests (
    id             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 63),
    requester      TEXT        NOT NULL CHECK (char_length(requester) BETWEEN 1 AND 256),
    purpose        TEXT        NOT NULL CHECK (char_length(purpose) BETWEEN 1 AND 2000),
    -- Extra labels from the operator's allow-list.
    labels         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    status         TEXT        NOT NULL CHECK (status IN ('pending', 'approved', 'provisioning',
                                                          'ready', 'failed', 'rejected', 'cancelled')),
    -- The admin queue shows pending requests first.
    queue_rank     SMALLINT    GENERATED ALWAYS AS (CASE status WHEN 'pending' THEN 0 ELSE 1 END) STORED,
    -- The rejection comment, or why provisioning last failed.
    reason         TEXT        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 8192),
    decided_by     TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    -- Which portal process is provisioning it, and until when (Unix milliseconds) its claim holds;
    -- a claim that runs out (the process died) lets another process resume the work.
    claimed_by     TEXT,
    claimed_until  BIGINT
);

-- One open request per name: a rejected or cancelled request frees the name again.
CREATE UNIQUE INDEX namespace_requests_open_name ON namespace_requests (name)
    WHERE status IN ('pending', 'approved', 'provisioning', 'failed');
-- The name rides along so a "name contains" filter scans the index, not the table.
CREATE INDEX namespace_requests_queue ON namespace_requests (queue_rank, id, name);
CREATE INDEX namespace_requests_by_status ON namespace_requests (status, id, name);
CREATE INDEX namespace_requests_by_requester ON namespace_requests (requester, id);

-- The IdP groups that get workload-admin in the namespace.
CREATE TABLE namespace_request_groups (
    request_id  BIGINT NOT NULL REFERENCES namespace_requests (id),
    group_name  TEXT   NOT NULL CHECK (char_length(group_name) BETWEEN 1 AND 256),
    PRIMARY KEY (request_id, group_name)
);
CREATE INDEX namespace_request_groups_by_group ON namespace_request_groups (group_name, request_id);
