"""Drives Latchkey's Vault KV v2 endpoint with the official hvac client, unchanged.

Run by tests/e2e/vault.rs with VAULT_ADDR, VAULT_TOKEN (a Latchkey token with full access)
and LATCHKEY_PREFIX (a fresh path prefix). Every step asserts what a Vault server answers;
on success it prints one JSON line with what the Rust side checks through Latchkey's API.
"""

import json
import os
import sys
import warnings

import hvac
from hvac import exceptions

warnings.simplefilter("ignore", DeprecationWarning)

addr = os.environ["VAULT_ADDR"]
token = os.environ["VAULT_TOKEN"]
prefix = os.environ["LATCHKEY_PREFIX"]
reader_token = os.environ["LATCHKEY_READER_TOKEN"]

# strict_http: hvac sends LIST as `GET ?list=true`, as Vault's own Go client and CLI do; the
# runtime (workerd) refuses the non-standard LIST method before it reaches the Worker.
client = hvac.Client(url=addr, token=token, strict_http=True)
kv = client.secrets.kv.v2
db = f"{prefix}/db"
api = f"{prefix}/api/key"


def expect(exception, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except exception as e:
        return e
    raise AssertionError(f"{call.__name__} did not raise {exception.__name__}")


# Write: version 1, then a check-and-set version 2; a stale cas is refused.
written = kv.create_or_update_secret(path=db, secret={"username": "admin", "password": "pw-one"})
assert written["data"]["version"] == 1, written
assert written["data"]["destroyed"] is False and written["data"]["deletion_time"] == "", written
written = kv.create_or_update_secret(
    path=db, secret={"username": "admin", "password": "pw-two"}, cas=1
)
assert written["data"]["version"] == 2, written
stale = expect(exceptions.InvalidRequest, kv.create_or_update_secret, path=db,
               secret={"password": "lost"}, cas=1)
assert "check-and-set" in str(stale), stale
kv.create_or_update_secret(path=api, secret={"value": "sk-vault-api"}, cas=0)
expect(exceptions.InvalidRequest, kv.create_or_update_secret, path=api,
       secret={"value": "again"}, cas=0)

# Read: latest and by version, with Vault's envelope and metadata.
latest = kv.read_secret_version(path=db, raise_on_deleted_version=True)
assert latest["data"]["data"] == {"username": "admin", "password": "pw-two"}, latest["data"]
assert latest["data"]["metadata"]["version"] == 2, latest
assert latest["lease_duration"] == 0 and latest["renewable"] is False, latest
first = kv.read_secret_version(path=db, version=1, raise_on_deleted_version=True)
assert first["data"]["data"]["password"] == "pw-one", first["data"]["metadata"]
expect(exceptions.InvalidPath, kv.read_secret_version, path=f"{prefix}/missing",
       raise_on_deleted_version=True)

# List: folders, with sub-folders marked by a trailing slash.
listed = kv.list_secrets(path=prefix)
assert listed["data"]["keys"] == ["api/", "db"], listed
assert kv.list_secrets(path=f"{prefix}/api")["data"]["keys"] == ["key"]
expect(exceptions.InvalidPath, kv.list_secrets, path=f"{prefix}/nothing-here")

# Metadata.
meta = kv.read_secret_metadata(path=db)["data"]
assert meta["current_version"] == 2 and meta["oldest_version"] == 1, meta
assert sorted(meta["versions"]) == ["1", "2"], meta

# Soft delete of the latest version: reads answer 404 with the deletion time; undelete.
kv.delete_latest_version_of_secret(path=db)
expect(exceptions.InvalidPath, kv.read_secret_version, path=db, raise_on_deleted_version=True)
deleted = kv.read_secret_version(path=db, raise_on_deleted_version=False)
assert deleted["data"]["data"] is None and deleted["data"]["metadata"]["deletion_time"], deleted
kv.undelete_secret_versions(path=db, versions=[2])
assert kv.read_secret_version(path=db, raise_on_deleted_version=True)["data"]["data"]["password"] == "pw-two"

# Delete and destroy version 1: destroyed stays destroyed, even after an undelete.
kv.delete_secret_versions(path=db, versions=[1])
meta = kv.read_secret_metadata(path=db)["data"]
assert meta["versions"]["1"]["deletion_time"] != "", meta
kv.destroy_secret_versions(path=db, versions=[1])
kv.undelete_secret_versions(path=db, versions=[1])
meta = kv.read_secret_metadata(path=db)["data"]
assert meta["versions"]["1"]["destroyed"] is True, meta
# As in Vault: a destroyed (not deleted) version is a 404 even for raise_on_deleted_version=False.
expect(exceptions.InvalidPath, kv.read_secret_version, path=db, version=1,
       raise_on_deleted_version=False)

# A token without write scope is refused with Vault's 403 and the scope in the message.
reader = hvac.Client(url=addr, token=reader_token)
refused = expect(exceptions.Forbidden, reader.secrets.kv.v2.create_or_update_secret,
                 path=db, secret={"password": "nope"})
assert "secrets:write" in str(refused), refused
assert reader.secrets.kv.v2.read_secret_version(
    path=db, raise_on_deleted_version=True)["data"]["data"]["username"] == "admin"

# A bad token is refused, and nothing was written by the refusals.
bad = hvac.Client(url=addr, token="not-a-latchkey-token")
expect(exceptions.Unauthorized, bad.secrets.kv.v2.read_secret_version, path=db,
       raise_on_deleted_version=True)

# Metadata delete erases every version: the path is free again.
scratch = f"{prefix}/scratch"
kv.create_or_update_secret(path=scratch, secret={"x": "1"})
kv.delete_metadata_and_all_versions(path=scratch)
expect(exceptions.InvalidPath, kv.read_secret_metadata, path=scratch)

print(json.dumps({"db": db, "api": api, "db_version": 2}))
