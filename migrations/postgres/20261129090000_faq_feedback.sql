-- FAQ feedback. "Was this helpful?": one answer per reader (an anonymous id from a cookie until
-- the portal has logins) and entry; voting again replaces the answer.
CREATE TABLE faq_votes (
    slug     TEXT        NOT NULL CHECK (char_length(slug) BETWEEN 1 AND 100),
    voter    TEXT        NOT NULL CHECK (char_length(voter) BETWEEN 1 AND 64),
    helpful  BOOLEAN     NOT NULL,
    voted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT faq_votes_one_per_voter PRIMARY KEY (slug, voter)
);

-- Searches that found nothing (normalised), so administrators know what to write next.
CREATE TABLE faq_unanswered_searches (
    query      TEXT        NOT NULL PRIMARY KEY CHECK (char_length(query) BETWEEN 1 AND 200),
    count      BIGINT      NOT NULL DEFAULT 1 CHECK (count >= 1),
    first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX faq_unanswered_searches_by_count ON faq_unanswered_searches (count DESC, last_seen DESC);
