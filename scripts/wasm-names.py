"""Drops the hashes from the function names in a wasm's `name` section (run by scripts/build).

worker-build keeps the name section so that a trap's stack trace names Rust functions. Each
name ends in a symbol hash (`latchkey_worker::app::dispatch::{{closure}}::h21365a3de39d3e68`,
`core[c5930c85a12de822]::…`, `__wbg_call_fc92fee6137d452d`): 16 random hex digits that gzip
cannot shrink, about 45 KB of the gzipped module. This rewrites only those names, in place;
the code, data, imports and exports are copied byte for byte, so nothing but a stack trace's
spelling changes (`latchkey_worker::app::dispatch::{{closure}}`).

With `--keep-names-in FILE`, the module keeps no name section at all (another 42 KB gzipped):
FILE gets the same module with its hash-free names, for reading a production trap's
`wasm-function[N]` (the function indices are the same in both).

Usage: python3 scripts/wasm-names.py worker/build/index_bg.wasm [--keep-names-in FILE]
"""
import re
import sys

# `::h<16 hex>` at the end of a legacy-mangled name (wasm-opt may add `[N]` or ` … shim`),
# `[<16 hex>]` after a crate name (v0 mangling, the standard library), and the suffix
# wasm-bindgen gives its imports' shims (`__wbg_<name>_<16 hex>`).
HASHES = re.compile(rb"::h[0-9a-f]{16}(?=$| |\[\d+\])|\[[0-9a-f]{16}\]|(__wbg_[A-Za-z0-9_]*?)_[0-9a-f]{16}(?=$|::)")


def read_uleb(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def uleb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def without_hashes(name):
    return HASHES.sub(lambda m: m.group(1) or b"", name)


def rewrite_name_section(payload):
    """The `name` custom section's payload with its function names (subsection 1) rewritten."""
    out = bytearray()
    at = 0
    while at < len(payload):
        kind = payload[at]
        size, at = read_uleb(payload, at + 1)
        body = payload[at : at + size]
        at += size
        if kind == 1:
            count, pos = read_uleb(body, 0)
            names = bytearray(uleb(count))
            for _ in range(count):
                index, pos = read_uleb(body, pos)
                length, pos = read_uleb(body, pos)
                name = without_hashes(body[pos : pos + length])
                pos += length
                names += uleb(index) + uleb(len(name)) + name
            if pos != len(body):
                raise ValueError("function names subsection has trailing bytes")
            body = bytes(names)
        out += bytes([kind]) + uleb(len(body)) + body
    return bytes(out)


def main(path, names_copy=None):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\0asm\1\0\0\0":
        raise ValueError(f"{path}: not a wasm module (version 1)")
    out = bytearray(data[:8])
    unnamed = bytearray(data[:8])
    at = 8
    while at < len(data):
        kind = data[at]
        size, at = read_uleb(data, at + 1)
        body = data[at : at + size]
        if len(body) != size:
            raise ValueError(f"{path}: truncated section")
        at += size
        is_names = False
        if kind == 0:
            name_length, start = read_uleb(body, 0)
            if body[start : start + name_length] == b"name":
                is_names = True
                head = body[: start + name_length]
                body = head + rewrite_name_section(body[start + name_length :])
        section = bytes([kind]) + uleb(len(body)) + body
        out += section
        if not is_names:
            unnamed += section
    if names_copy is None:
        with open(path, "wb") as f:
            f.write(out)
        return
    with open(names_copy, "wb") as f:
        f.write(out)
    with open(path, "wb") as f:
        f.write(unnamed)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--keep-names-in":
        main(sys.argv[1], sys.argv[3])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit(__doc__)
