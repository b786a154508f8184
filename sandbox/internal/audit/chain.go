package audit

import (
	"encoding/binary"
	"encoding/hex"
	"errors"

	"github.com/emmansun/gmsm/sm3"
)

// JR/T 0185-2020 12.3: "应对日志记录进行完整性保护，确保日志不被篡改、删除、覆盖".
// Every record is chained to its predecessor with SM3:
//
//	hash_n = SM3( canonical(record_n) || prev_hash )      prev_hash of record 1 = 32 zero bytes
//
// canonical(record) is the byte string
//
//	"JR0185-AUDIT-RECORD-V1"          22-byte domain and version tag
//	u64(seq)                          8 bytes, big-endian
//	i64(time)                         8 bytes, big-endian: Unix nanoseconds, UTC
//	str(RequestID) str(AppID) str(APIID) str(UAPIID) str(Method) str(Path)
//	i64(Status)
//	str(Result) str(Code)
//	i64(DurationMicros)
//	str(Excerpt)
//
// where str(s) = u32(len(s)) big-endian || the bytes of s. Fixed-width integers
// and length-prefixed strings make the encoding injective: no two different
// records encode to the same bytes. The sequence number is part of the hashed
// content, so a record moved to another position no longer matches its hash.

const (
	hashSize = sm3.Size // 32

	recordTag = "JR0185-AUDIT-RECORD-V1"
)

// genesisHash is the prev_hash of record 1.
var genesisHash [hashSize]byte

// errBadHash reports a stored hash that is not 64 hex digits.
var errBadHash = errors.New("not a 32-byte hex SM3 hash")

// recordBody appends the canonical encoding of r without the tag and the
// sequence number (those depend on the record's position and are written by
// chainHash), so the verifier can try candidate positions cheaply.
func recordBody(dst []byte, r *Record) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
	dst = appendString(dst, r.RequestID)
	dst = appendString(dst, r.AppID)
	dst = appendString(dst, r.APIID)
	dst = appendString(dst, r.UAPIID)
	dst = appendString(dst, r.Method)
	dst = appendString(dst, r.Path)
	dst = binary.BigEndian.AppendUint64(dst, uint64(int64(r.Status))) // #nosec G115 -- fixed-width two's-complement encoding for hashing, not arithmetic
	dst = appendString(dst, r.Result)
	dst = appendString(dst, r.Code)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.DurationMicros)) // #nosec G115 -- fixed-width two's-complement encoding for hashing, not arithmetic
	dst = appendString(dst, r.Excerpt)
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s))) // #nosec G115 -- fields are bounded far below 4 GiB before they are encoded
	return append(dst, s...)
}

// Canonical returns the canonical encoding of r at position seq (r.Seq is
// ignored). It is exported for documentation and for independent verifiers.
func Canonical(seq int64, r Record) []byte {
	r.Time = r.Time.UTC()
	b := make([]byte, 0, len(recordTag)+8+128+len(r.Excerpt))
	b = append(b, recordTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(seq)) // #nosec G115 -- fixed-width two's-complement encoding for hashing, not arithmetic
	return recordBody(b, &r)
}

// chainHash computes SM3(tag || u64(seq) || body || prev).
func chainHash(seq int64, body []byte, prev *[hashSize]byte) [hashSize]byte {
	h := sm3.New()
	var hdr [len(recordTag) + 8]byte
	copy(hdr[:], recordTag)
	binary.BigEndian.PutUint64(hdr[len(recordTag):], uint64(seq)) // #nosec G115 -- fixed-width two's-complement encoding for hashing, not arithmetic
	h.Write(hdr[:])
	h.Write(body)
	h.Write(prev[:])
	var out [hashSize]byte
	h.Sum(out[:0])
	return out
}

// HashRecord returns hash_n = SM3(Canonical(seq, r) || prev) for r at
// position seq chained after prev (32 zero bytes for record 1). It is what
// the writer stores and what Verify recomputes.
func HashRecord(seq int64, r Record, prev [32]byte) [32]byte {
	r.Time = r.Time.UTC()
	return chainHash(seq, recordBody(nil, &r), &prev)
}

// decodeHash parses a stored hex hash. Untrusted input: any length or
// alphabet is rejected without panicking.
func decodeHash(s string) ([hashSize]byte, error) {
	var out [hashSize]byte
	if len(s) != 2*hashSize {
		return out, errBadHash
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, errBadHash
	}
	return out, nil
}

func encodeHash(h [hashSize]byte) string { return hex.EncodeToString(h[:]) }

// shortHash abbreviates a hash for human-readable messages.
func shortHash(h [hashSize]byte) string { return hex.EncodeToString(h[:6]) + "…" }
