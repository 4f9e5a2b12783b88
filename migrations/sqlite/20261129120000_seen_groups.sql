-- The IdP groups users carried when they logged in, so administrators can see which groups named
-- in RoleBindings nobody who logs in is in (a typo, a renamed group).
CREATE TABLE seen_groups (
    group_name TEXT NOT NULL PRIMARY KEY CHECK (length(group_name) BETWEEN 1 AND 1024),
    last_seen  TEXT NOT NULL
);
