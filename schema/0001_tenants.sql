-- The tenant registry: who exists, on which plan. Tenant data itself lives in each tenant's
-- Durable Object; nothing here is read on a tenant request's path.
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,            -- tn_ + 16 hex digits
    name       TEXT NOT NULL,
    plan       TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    status     TEXT NOT NULL CHECK (status IN ('provisioning', 'active')),
    created_at TEXT NOT NULL                -- RFC 3339, UTC
);

CREATE INDEX tenants_by_created_at ON tenants (created_at);
