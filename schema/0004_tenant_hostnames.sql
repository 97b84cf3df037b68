-- Hostnames an operator attaches to a tenant (PATCH /v1/admin/tenants/{id} {hostnames}), for
-- the /api/v1 face (seeds 000 and 001): its login takes {email, password} with no tenant, so
-- the tenant is the one the request's Host belongs to. A hostname belongs to one tenant.
CREATE TABLE tenant_hostnames (
    hostname  TEXT PRIMARY KEY,             -- lowercase DNS name, no port
    tenant_id TEXT NOT NULL REFERENCES tenants (id)
);

CREATE INDEX tenant_hostnames_by_tenant ON tenant_hostnames (tenant_id);
