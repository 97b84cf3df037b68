-- OAuth clients registered by dynamic client registration (RFC 7591) for /mcp (issue 22).
-- Clients are not a tenant's: one registers before any person has said which tenant they
-- belong to. Only public clients (PKCE, no secret) are registered, so nothing here is a
-- credential. Codes and grants live in the tenant's object, never here or in KV.
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL
);
