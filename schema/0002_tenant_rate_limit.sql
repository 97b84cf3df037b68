-- A custom per-minute rate limit an operator may set for a tenant (PATCH /v1/admin/tenants/{id});
-- NULL means the plan's own limit. The tenant object holds the authoritative copy.
ALTER TABLE tenants ADD COLUMN rate_limit_per_minute INTEGER;
