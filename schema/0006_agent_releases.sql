-- Agent versions the operator publishes per platform (issue 23): `GET /api/v1/agents/update/
-- latest` answers an agent with the one published last for its platform. Cross-tenant (one
-- build serves every tenant's agents), so here rather than in a tenant's object. A published
-- (platform, version) never changes its URL or hash.
CREATE TABLE agent_releases (
    platform TEXT NOT NULL,
    version TEXT NOT NULL,
    url TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (platform, version)
);
