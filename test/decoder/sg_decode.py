#!/usr/bin/env python3
"""Independent decoder for snapshot-guard format version 1 (set manifests version 1 and 2), written from docs/FORMAT.md alone.

    sg_decode.py --key-file KEY IN OUT     decrypt IN into OUT (OUT appears only if every byte verified)
    sg_decode.py --age-identity ID IN OUT  the same, opening the `age` copy with the real `age -d`
    sg_decode.py --vectors DIR             check every test vector in DIR
    sg_decode.py --key-file KEY --verify-set DIR   authenticate a whole sealed-set directory (section 12)

Needs Python 3 and the `cryptography` package (Debian: python3-cryptography). Any failure prints one
line to stderr and exits 1 (2 for usage errors).
"""

import argparse
import subprocess
import base64
import hashlib
import hmac
import io
import json
import os
import re
import stat
import struct
import sys
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# FORMAT.md section 3 and 10.
MAGIC = bytes.fromhex("5347554152440a1a")
VERSION = 1
PREAMBLE = 14
MAC_LEN = 32
MAX_HEADER = 65536
MIN_HEADER = 72  # preamble 14 + bound fields with empty texts 18 + key count 1 + smallest wrapped key 7 + MAC 32
MIN_SEGMENT, MAX_SEGMENT = 128, 64 * 1024 * 1024
MAX_CREATED_AT = 2**53 - 1
MAX_INSTANCE, MAX_SET_ID, MAX_FILE_NAME = 255, 255, 1024
MAX_KEYS, MAX_PROVIDER, MAX_KEY_ID, MAX_BLOB = 16, 32, 2048, 8192
# Section 7.
STREAM_HEADER = 40
SALT_LEN, PREFIX_LEN, TAG = 32, 7, 16
MAX_SEGMENTS = 2**32
# Sections 5 and 8.
MAC_INFO = b"snapshot-guard v1 header mac"
KEY_FILE_PREFIX = "snapshot-guard-key-v1:"
KEY_ID_LABEL = b"snapshot-guard key id v1"
WRAP_LABEL = b"snapshot-guard v1 local wrap"
LOCAL_BLOB_LEN = 12 + 32 + 16
# Section 12.
MANIFEST_KIND = "snapshot-guard/set-manifest"
MAX_MANIFEST = 1024 * 1024
MAX_MANIFEST_FILES = 4096
MAX_NAME_BYTES, MAX_SET_ID_BYTES = 252, 255
TOP_MEMBERS_V1 = {"kind", "version", "setId", "instance", "sealedAt", "snapshotTime", "source", "files"}
# Manifest version 2 adds "previous": the set sealed before this one (section 12).
TOP_MEMBERS = {1: TOP_MEMBERS_V1, 2: TOP_MEMBERS_V1 | {"previous"}}
PREVIOUS_MEMBERS = {"setId", "manifestSha256"}
SOURCE_MEMBERS = {"format", "stem", "snapshotId", "shardCount"}
FILE_MEMBERS = {"name", "role", "size", "encryptedSize", "payloadSha256"}
ISO_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MANIFEST_FILE, ENCRYPTED_SUFFIX = "manifest.sgm", ".sg"


class DecodeError(Exception):
    """A failure at one stage of FORMAT.md section 9: parse, unwrap, header-mac, payload, manifest."""

    def __init__(self, stage, message):
        super().__init__(message)
        self.stage = stage


def hkdf_sha256(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def read_exact(f, n):
    """Reads up to n bytes, fewer only at end of file."""
    parts, got = [], 0
    while got < n:
        b = f.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


# ---- header (section 3) ----


class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n, field):
        if n > len(self.buf) - self.pos:
            raise DecodeError("parse", f'header field "{field}" runs past the end of the header')
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, field):
        return self.take(1, field)[0]

    def u16(self, field):
        return struct.unpack(">H", self.take(2, field))[0]

    def u32(self, field):
        return struct.unpack(">I", self.take(4, field))[0]

    def u64(self, field):
        return struct.unpack(">Q", self.take(8, field))[0]

    def sized(self, length, lo, hi, field):
        if not lo <= length <= hi:
            raise DecodeError("parse", f'header field "{field}" has length {length}, allowed {lo}..{hi}')
        return self.take(length, field)

    def text(self, raw, field):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("parse", f'header field "{field}" is not valid UTF-8') from None

    def str8(self, lo, hi, field):
        return self.text(self.sized(self.u8(field), lo, hi, field), field)

    def str16(self, lo, hi, field):
        return self.text(self.sized(self.u16(field), lo, hi, field), field)

    def bytes16(self, lo, hi, field):
        return self.sized(self.u16(field), lo, hi, field)


def read_header(f):
    """Steps 1-6 of section 3.2. Returns a dict; nothing in it is authenticated yet."""
    pre = read_exact(f, PREAMBLE)
    if len(pre) < PREAMBLE:
        raise DecodeError("parse", "too short to be a snapshot-guard encrypted file")
    if pre[:8] != MAGIC:
        raise DecodeError("parse", "not a snapshot-guard encrypted file (bad magic bytes)")
    version, length = struct.unpack(">HI", pre[8:14])
    if version != VERSION:
        raise DecodeError("parse", f"unsupported format version {version} (this decoder reads version {VERSION})")
    if length > MAX_HEADER:
        raise DecodeError("parse", f"header length {length} exceeds {MAX_HEADER}")
    if length < MIN_HEADER:
        raise DecodeError("parse", f"header length {length} is below {MIN_HEADER}")
    rest = read_exact(f, length - PREAMBLE)
    if len(rest) < length - PREAMBLE:
        raise DecodeError("parse", "header is truncated")
    raw = pre + rest
    r = Reader(raw[: length - MAC_LEN])
    r.take(PREAMBLE, "preamble")
    segment_size = r.u32("segment size")
    if not MIN_SEGMENT <= segment_size <= MAX_SEGMENT:
        raise DecodeError("parse", f"segment size {segment_size} out of range")
    created_at_ms = r.u64("created at")
    if created_at_ms > MAX_CREATED_AT:
        raise DecodeError("parse", "created-at time out of range")
    instance = r.str16(0, MAX_INSTANCE, "instance")
    set_id = r.str16(0, MAX_SET_ID, "set id")
    file_name = r.str16(0, MAX_FILE_NAME, "file name")
    bound_end = r.pos
    count = r.u8("wrapped key count")
    if not 1 <= count <= MAX_KEYS:
        raise DecodeError("parse", f"{count} wrapped keys (allowed 1..{MAX_KEYS})")
    keys = []
    for _ in range(count):
        provider = r.str8(1, MAX_PROVIDER, "provider")
        key_id = r.str16(0, MAX_KEY_ID, "key id")
        blob = r.bytes16(1, MAX_BLOB, "wrapped key")
        keys.append({"provider": provider, "key_id": key_id, "blob": blob})
    if r.pos != len(r.buf):
        raise DecodeError("parse", "unexpected bytes between the wrapped keys and the MAC")
    ids = [(k["provider"], k["key_id"]) for k in keys]
    if len(set(ids)) != len(ids):
        raise DecodeError("parse", "two wrapped copies for the same provider and key id")
    return {
        "raw": raw,
        "segment_size": segment_size,
        "created_at_ms": created_at_ms,
        "instance": instance,
        "set_id": set_id,
        "file_name": file_name,
        "wrapped_keys": keys,
        # Section 4: magic ‖ version ‖ bound fields (header_length left out).
        "ad": raw[0:10] + raw[PREAMBLE:bound_end],
    }


def verify_header_mac(header, data_key):
    """Step 9, section 6."""
    mac_key = hkdf_sha256(data_key, b"", MAC_INFO)
    raw = header["raw"]
    expected = hmac.new(mac_key, raw[:-MAC_LEN], hashlib.sha256).digest()
    if not hmac.compare_digest(expected, raw[-MAC_LEN:]):
        raise DecodeError(
            "header-mac",
            "header authentication failed: the header was modified, or the data key does not belong to this file",
        )


# ---- local key file and wrapping (section 8) ----


def parse_key_text(text, where="key file"):
    # Only ASCII space, tab, CR and LF may surround the line; the base64 must be canonical (the two unused
    # bits of its last character zero), so that a key has exactly one spelling.
    line = text.strip(" \t\r\n")
    b64 = line[len(KEY_FILE_PREFIX) :] if line.startswith(KEY_FILE_PREFIX) else ""
    if not re.fullmatch(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=", b64):
        raise DecodeError("key-file", f'{where} is malformed: expected "{KEY_FILE_PREFIX}<base64 of 32 bytes>"')
    return base64.b64decode(b64)


def load_key_file(path):
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise DecodeError("key-file", f"key file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise DecodeError("key-file", f"key file {path} is accessible by group or others; chmod 600 {path}")
    with open(path, "r", encoding="utf-8") as f:
        return parse_key_text(f.read(), f"key file {path}")


def local_key_id(kek):
    return hmac.new(kek, KEY_ID_LABEL, hashlib.sha256).digest()[:8].hex()


def str16(s):
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def local_wrap_aad(instance, set_id):
    return WRAP_LABEL + b"\x00" + str16(instance) + str16(set_id)


def unwrap_age_copy(header, age_identities):
    """Section 8.4: an `age` copy is a standard age file; the real `age -d` opens it (no own X25519 code)."""
    for w in header["wrapped_keys"]:
        if w["provider"] != "age":
            continue
        for ident in age_identities:
            r = subprocess.run(["age", "-d", "-i", ident], input=w["blob"], capture_output=True)
            if r.returncode == 0 and len(r.stdout) == 32:
                return r.stdout
    return None


def unwrap_data_key(header, keks, age_identities=()):
    """Steps 7-8: try the local copies whose key id names one of our keys, then age copies."""
    if age_identities:
        key = unwrap_age_copy(header, age_identities)
        if key is not None:
            return key
        if not keks:
            raise DecodeError("unwrap", "none of the age identities opens an age copy of the data key")
    mine = {local_key_id(k): k for k in keks}
    candidates = [w for w in header["wrapped_keys"] if w["provider"] == "local" and w["key_id"] in mine]
    if not candidates:
        found = ", ".join(f'{w["provider"]}:{w["key_id"]}' for w in header["wrapped_keys"])
        raise DecodeError("unwrap", f"no wrapped key for the given key file(s); this file is wrapped by {found}")
    aad = local_wrap_aad(header["instance"], header["set_id"])
    for w in candidates:
        blob = w["blob"]
        if len(blob) != LOCAL_BLOB_LEN:
            continue
        try:
            return AESGCM(mine[w["key_id"]]).decrypt(blob[:12], blob[12:], aad)
        except InvalidTag:
            continue
    raise DecodeError("unwrap", "could not unwrap the data key: wrong key, or the wrapped key or its context was altered")


# ---- payload (section 7) ----


def decrypt_payload(f, header, data_key, out):
    """Steps 10-11. Writes each segment's plaintext to `out` after its tag verified; returns the size."""
    sh = read_exact(f, STREAM_HEADER)
    if len(sh) < STREAM_HEADER:
        raise DecodeError("payload", "payload is truncated (stream header missing)")
    if sh[0] != STREAM_HEADER:
        raise DecodeError("payload", "corrupt payload stream header")
    salt, prefix = sh[1 : 1 + SALT_LEN], sh[1 + SALT_LEN :]
    gcm = AESGCM(hkdf_sha256(data_key, salt, header["ad"]))
    size = header["segment_size"]
    pending = b""  # the look-ahead byte carried from one segment to the next
    total = 0
    for index in range(MAX_SEGMENTS):
        want = size - STREAM_HEADER if index == 0 else size
        buf = pending + read_exact(f, want + 1 - len(pending))
        last = len(buf) <= want
        segment, pending = (buf, b"") if last else (buf[:want], buf[want:])
        if len(segment) < TAG:
            raise DecodeError("payload", f"truncated: segment {index} is shorter than its tag")
        nonce = prefix + struct.pack(">IB", index, 1 if last else 0)
        try:
            plain = gcm.decrypt(nonce, segment, None)
        except InvalidTag:
            raise DecodeError(
                "payload", f"authentication failed in segment {index}: modified, truncated, reordered, or wrong key"
            ) from None
        out.write(plain)
        total += len(plain)
        if last:
            return total
    raise DecodeError("payload", "too many segments")


# ---- set manifest (section 12) ----


def strict_json(text):
    """RFC 8259 JSON with the manifest's extra rules: no duplicate member, only plain non-negative integers."""

    def pairs(items):
        names = [k for k, _ in items]
        if len(set(names)) != len(names):
            raise ValueError("duplicate member")
        return dict(items)

    def integer(t):
        if not re.fullmatch(r"0|[1-9][0-9]*", t):
            raise ValueError(f"number {t} is not a plain non-negative integer")
        return int(t)

    def not_allowed(t):
        raise ValueError(f"number {t} is not a plain non-negative integer")

    return json.loads(text, object_pairs_hook=pairs, parse_int=integer, parse_float=not_allowed, parse_constant=not_allowed)


def name_problem(name, max_bytes):
    if not isinstance(name, str) or name in ("", ".", ".."):
        return "is not a name"
    if "/" in name or CONTROL.search(name):
        return "contains / or a control character"
    try:
        length = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode"
    return f"is longer than {max_bytes} bytes" if length > max_bytes else None


def completeness_problem(m):
    """A set is complete: one .rdb, or DFS shards 0..N-1 in order and then its one summary (N = shardCount)."""
    src, files = m["source"], m["files"]
    stem = src["stem"]
    if src["format"] == "rdb":
        if src["snapshotId"] is not None or src["shardCount"] is not None:
            return "an rdb set has no snapshotId or shardCount"
        if len(files) != 1 or files[0]["role"] != "rdb" or files[0]["name"] != stem + ".rdb":
            return f"an rdb set is exactly {stem}.rdb"
        return None
    n = src["shardCount"]
    if not isinstance(src["snapshotId"], str) or src["snapshotId"] == "" or not isinstance(n, int):
        return "a dfs set needs its snapshotId and shardCount"
    want = [(f"{stem}-{i:04d}.dfs", "shard") for i in range(n)] + [(f"{stem}-summary.dfs", "summary")]
    if [(f["name"], f["role"]) for f in files] != want:
        return f"a dfs set lists shards 0..{n - 1} in order, then its summary"
    return None


def check_manifest(plaintext, header):
    def bad(m):
        raise DecodeError("manifest", f"set manifest is invalid: {m}")

    if len(plaintext) > MAX_MANIFEST:
        bad("too large")
    try:
        m = strict_json(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        bad(f"not JSON as the format requires ({e})")
    if not isinstance(m, dict):
        bad("not an object")
    if m.get("kind") != MANIFEST_KIND:
        bad("wrong kind")
    version = m.get("version")
    if version not in (1, 2) or isinstance(version, bool):
        bad("unsupported manifest version")
    if set(m) != TOP_MEMBERS[version]:
        bad(f"members differ from the specification of version {version}")
    for k in ("setId", "instance", "sealedAt", "snapshotTime"):
        if not isinstance(m.get(k), str):
            bad(f"{k} missing")
    if name_problem(m["setId"], MAX_SET_ID_BYTES):
        bad("setId is not a valid directory name")
    if version == 2 and m["previous"] is not None:
        prev = m["previous"]
        if not isinstance(prev, dict) or set(prev) != PREVIOUS_MEMBERS:
            bad("previous is neither null nor an object of setId and manifestSha256")
        if name_problem(prev["setId"], MAX_SET_ID_BYTES) or prev["setId"] == m["setId"]:
            bad("previous.setId is not a valid set id, or names the set itself")
        if not isinstance(prev["manifestSha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", prev["manifestSha256"]):
            bad("previous.manifestSha256 is not 64 lowercase hex digits")
    if len(m["instance"].encode("utf-8", "surrogatepass")) > MAX_INSTANCE:
        bad("instance too long")
    if not ISO_TIME.fullmatch(m["sealedAt"]) or not ISO_TIME.fullmatch(m["snapshotTime"]):
        bad("sealedAt or snapshotTime")
    if m["setId"] != header["set_id"]:
        bad("set id differs from its header")
    if m["instance"] != header["instance"]:
        bad("instance differs from its header")
    src = m.get("source")
    if not isinstance(src, dict) or set(src) != SOURCE_MEMBERS:
        bad("source")
    if src.get("format") not in ("dfs", "rdb") or not isinstance(src.get("stem"), str):
        bad("source")
    if src["snapshotId"] is not None and not isinstance(src["snapshotId"], str):
        bad("source.snapshotId")
    if src["shardCount"] is not None and (not isinstance(src["shardCount"], int) or isinstance(src["shardCount"], bool)):
        bad("source.shardCount")
    files = m.get("files")
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_MANIFEST_FILES:
        bad("files")
    names = set()
    for e in files:
        if not isinstance(e, dict):
            bad("file entry")
        name = e.get("name")
        if name_problem(name, MAX_NAME_BYTES):
            bad(f"file name {name!r} {name_problem(name, MAX_NAME_BYTES)}")
        if set(e) != FILE_MEMBERS:
            bad(f"members of file {name} differ from the specification")
        if name in names:
            bad(f"duplicate file {name}")
        names.add(name)
        if e.get("role") not in ("shard", "summary", "rdb"):
            bad(f"role of {name}")
        for k in ("size", "encryptedSize"):
            v = e.get(k)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_CREATED_AT:
                bad(f"{k} of {name}")
        if not isinstance(e.get("payloadSha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", e["payloadSha256"]):
            bad(f"digest of {name}")
    problem = completeness_problem(m)
    if problem:
        bad(f"not a complete set: {problem}")
    return m


# ---- whole files (section 9) ----


def decode_stream(f, keks, out, data_key=None, age_identities=()):
    """Decodes one encrypted file from `f` into `out`. Returns the header. Raises DecodeError.

    With `data_key` (a set's key, from its manifest) nothing is unwrapped: the header MAC must verify
    under that key, which proves the file belongs to the same set."""
    header = read_header(f)
    if data_key is None:
        data_key = unwrap_data_key(header, keks, age_identities)
    verify_header_mac(header, data_key)
    header["data_key"] = data_key
    if header["file_name"] == "":
        # The manifest is small (at most 1 MiB) and must be checked whole before anything is released.
        buf = io.BytesIO()
        decrypt_payload(f, header, data_key, LimitedWriter(buf, MAX_MANIFEST))
        check_manifest(buf.getvalue(), header)
        out.write(buf.getvalue())
    else:
        decrypt_payload(f, header, data_key, out)
    return header


class LimitedWriter:
    def __init__(self, inner, limit):
        self.inner, self.limit, self.n = inner, limit, 0

    def write(self, b):
        self.n += len(b)
        if self.n > self.limit:
            raise DecodeError("manifest", "set manifest is invalid: too large")
        self.inner.write(b)


def decrypt_file(key_files, in_path, out_path, age_identities=()):
    keks = [load_key_file(p) for p in key_files]
    out_dir = os.path.dirname(os.path.abspath(out_path))
    if os.path.lexists(out_path):
        raise DecodeError("output", f"{out_path} already exists; refusing to overwrite it")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(out_path)}.", suffix=".sgdec-tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(in_path, "rb") as f:
            decode_stream(f, keks, out, age_identities=age_identities)
            out.flush()
            os.fsync(out.fileno())
        # Only now, with every segment authenticated, does the plaintext get its name.
        os.link(tmp, out_path)
    finally:
        os.unlink(tmp)


# ---- vectors (section 14) ----


def check_vector(v):
    """Returns None when the vector behaves as it says, else a description of the difference."""
    out = io.BytesIO()
    try:
        kek = parse_key_text(v["key_file"])
        if kek.hex() != v["local_kek"] or local_key_id(kek) != v["local_key_id"]:
            return "key file, local_kek and local_key_id disagree"
        # Further keys the decoder holds, tried after the first (section 8: one unwrapped copy decides).
        keks = [kek] + [parse_key_text(t) for t in v.get("more_key_files", [])]
        header = decode_stream(io.BytesIO(bytes.fromhex(v["ciphertext"])), keks, out)
    except DecodeError as e:
        if v["expect"] == "error":
            return None if e.stage == v["error_stage"] else f"failed at {e.stage} ({e}), expected {v['error_stage']}"
        return f"failed: {e}"
    if v["expect"] == "error":
        return f"decoded, but must fail at {v['error_stage']} ({v['error']})"
    if out.getvalue().hex() != v["plaintext"]:
        return "wrong plaintext"
    ctx, d = v["context"], v["derived"]
    got = [header["instance"], header["set_id"], header["file_name"], header["created_at_ms"], header["segment_size"]]
    want = [ctx["instance"], ctx["set_id"], ctx["file_name"], ctx["created_at_ms"], v["segment_size"]]
    if got != want:
        return f"header context {got} differs from {want}"
    if header["ad"].hex() != d["associated_data"] or len(header["raw"]) != d["header_length"]:
        return "associated data or header length differs"
    if local_wrap_aad(header["instance"], header["set_id"]).hex() != d["local_wrap_aad"]:
        return "local wrap aad differs"
    data_key = bytes.fromhex(v["data_key"])
    if hkdf_sha256(data_key, b"", MAC_INFO).hex() != d["header_mac_key"]:
        return "header MAC key differs"
    payload = bytes.fromhex(v["ciphertext"])[len(header["raw"]) :]
    if payload[1:33].hex() != v["salt"] or payload[33:40].hex() != v["nonce_prefix"]:
        return "salt or nonce prefix differs"
    if hkdf_sha256(data_key, payload[1:33], header["ad"]).hex() != d["file_key"]:
        return "file key differs"
    keys = [{"provider": w["provider"], "key_id": w["key_id"], "blob": w["blob"].hex()} for w in header["wrapped_keys"]]
    if keys != v["wrapped_keys"]:
        return "wrapped keys differ"
    return None


# ---- whole sealed sets (sections 12 and 13) ----


class Sha256Tap:
    """Hashes the payload bytes while the decoder reads them."""

    def __init__(self, f):
        self.f, self.hash, self.n = f, hashlib.sha256(), 0

    def read(self, n):
        b = self.f.read(n)
        self.hash.update(b)
        self.n += len(b)
        return b


class Counter:
    def __init__(self):
        self.n = 0

    def write(self, b):
        self.n += len(b)


def verify_set(key_files, directory):
    """Authenticates a set directory; writes no plaintext. Returns the manifest."""
    keks = [load_key_file(p) for p in key_files]
    directory = os.path.abspath(directory)
    out = io.BytesIO()
    with open(os.path.join(directory, MANIFEST_FILE), "rb") as f:
        header = decode_stream(f, keks, out)
    if header["file_name"] != "":
        raise DecodeError("set", f"{MANIFEST_FILE} is not a set manifest")
    m = json.loads(out.getvalue())
    if os.path.basename(directory) != m["setId"]:
        raise DecodeError("set", f'the directory is named {os.path.basename(directory)}, its manifest says set {m["setId"]}')
    listed = {e["name"] + ENCRYPTED_SUFFIX for e in m["files"]}
    present = {n for n in os.listdir(directory) if n.endswith(ENCRYPTED_SUFFIX)}
    if listed != present:
        raise DecodeError("set", f"files differ from the manifest: missing {sorted(listed - present)}, extra {sorted(present - listed)}")
    for e in m["files"]:
        path = os.path.join(directory, e["name"] + ENCRYPTED_SUFFIX)
        with open(path, "rb") as f:
            file_header = read_header(f)
            if file_header["file_name"] != e["name"] or file_header["set_id"] != m["setId"]:
                raise DecodeError("set", f"{path} belongs to another file or set")
            # The MAC under the manifest's data key proves the file was sealed with this set.
            verify_header_mac(file_header, header["data_key"])
            tap, plain = Sha256Tap(f), Counter()
            decrypt_payload(tap, file_header, header["data_key"], plain)
        if plain.n != e["size"] or tap.hash.hexdigest() != e["payloadSha256"]:
            raise DecodeError("set", f"{path}: size or payload digest differs from the manifest")
    return m


def manifest_payload_sha256(directory):
    """Section 12, `previous`: SHA-256 of a set's manifest.sgm after its header (what the next set names)."""
    with open(os.path.join(directory, MANIFEST_FILE), "rb") as f:
        read_header(f)
        return hashlib.sha256(f.read()).hexdigest()


def check_vectors(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    if not names:
        raise DecodeError("vectors", f"no *.json vectors in {directory}")
    failed = 0
    for n in names:
        with open(os.path.join(directory, n), encoding="utf-8") as f:
            v = json.load(f)
        problem = check_vector(v)
        if problem:
            failed += 1
            print(f"FAIL {n}: {problem}")
        else:
            print(f"ok   {n} ({'decrypts' if v['expect'] == 'plaintext' else 'rejected at ' + v['error_stage']})")
    print(f"{len(names) - failed} passed, {failed} failed")
    return failed == 0


def main(argv):
    p = argparse.ArgumentParser(prog="sg_decode.py", description="Independent snapshot-guard v1 decoder.")
    p.add_argument("--key-file", action="append", default=[], help="local key file (repeatable)")
    p.add_argument("--age-identity", action="append", default=[], help="age identity file (uses `age -d`)")
    p.add_argument("--vectors", metavar="DIR", help="check every test vector in DIR")
    p.add_argument("--verify-set", metavar="DIR", help="authenticate the sealed set in DIR (needs --key-file)")
    p.add_argument("input", nargs="?", help="encrypted file")
    p.add_argument("output", nargs="?", help="plaintext output file (must not exist)")
    args = p.parse_args(argv)
    try:
        if args.vectors:
            return 0 if check_vectors(args.vectors) else 1
        if args.verify_set:
            if not args.key_file:
                p.error("--verify-set needs --key-file")
            m = verify_set(args.key_file, args.verify_set)
            print(f'set {m["setId"]}: {len(m["files"])} files authenticated')
            if m["version"] == 1:
                print("manifest version 1: names no previous set")
            elif m["previous"] is None:
                print("manifest version 2: previous none (first set of its chain)")
            else:
                p = m["previous"]
                print(f'manifest version 2: previous {p["setId"]} with manifest payload sha256 {p["manifestSha256"]}')
            print(f"manifest payload sha256 {manifest_payload_sha256(args.verify_set)}")
            return 0
        if not (args.key_file or args.age_identity) or not args.input or not args.output:
            p.error("need --key-file KEY (or --age-identity ID) IN OUT, or --vectors DIR")
        decrypt_file(args.key_file, args.input, args.output, args.age_identity)
        return 0
    except DecodeError as e:
        print(f"sg_decode: {args.input or args.vectors or args.verify_set}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"sg_decode: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
