-- A copy of every tenant's audit events, for operator-wide search and retention beyond the
-- tenant objects. Written in the background by each tenant object's alarm; the tenant object
-- stays the authority (its chain is what /v1/audit/verify checks).
CREATE TABLE IF NOT EXISTS audit_events (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    path TEXT,
    actor TEXT NOT NULL,
    actor_description TEXT,
    ip TEXT,
    user_agent TEXT,
    timestamp TEXT NOT NULL,
    success INTEGER NOT NULL,
    correlation_id TEXT,
    reason TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events (timestamp);
CREATE INDEX IF NOT EXISTS audit_events_by_type ON audit_events (type);
