package audit

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// TestCanonicalLayout pins the documented encoding, built here by hand, so
// an independent verifier (or a PostgreSQL backend) can rely on it.
func TestCanonicalLayout(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CST", 8*3600)
	r := Record{
		Seq:            999, // ignored
		Time:           time.Date(2024, 1, 2, 11, 4, 5, 6, loc),
		RequestID:      "r1",
		AppID:          "app",
		APIID:          "api",
		UAPIID:         "OPABCDEF0100000100000100",
		Method:         "POST",
		Path:           "/v1/pay",
		Status:         -1,
		Result:         ResultFailure,
		Code:           "X",
		DurationMicros: 7,
		Excerpt:        "支付",
	}
	var want []byte
	u64 := func(v uint64) { want = binary.BigEndian.AppendUint64(want, v) }
	str := func(s string) {
		want = binary.BigEndian.AppendUint32(want, uint32(len(s)))
		want = append(want, s...)
	}
	want = append(want, "JR0185-AUDIT-RECORD-V1"...)
	u64(42)
	u64(uint64(time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano()))
	for _, s := range []string{"r1", "app", "api", "OPABCDEF0100000100000100", "POST", "/v1/pay"} {
		str(s)
	}
	u64(^uint64(0)) // -1
	str("failure")
	str("X")
	u64(7)
	str("支付")
	if got := Canonical(42, r); !bytes.Equal(got, want) {
		t.Fatalf("Canonical =\n%x\nwant\n%x", got, want)
	}
	prev := [hashSize]byte{1, 2, 3}
	if got, want := HashRecord(42, r, prev), sm3.Sum(append(want, prev[:]...)); got != want {
		t.Fatalf("HashRecord = %x, want SM3(canonical || prev) = %x", got, want)
	}
}

func TestHashSeparatesRecords(t *testing.T) {
	t.Parallel()
	base := sampleRecord(1)
	h := HashRecord(1, base, genesisHash)
	shifted := base
	shifted.RequestID, shifted.AppID = base.RequestID+base.AppID[:1], base.AppID[1:]
	tests := []struct {
		name string
		got  [hashSize]byte
	}{
		{"differs/boundary between fields moved", HashRecord(1, shifted, genesisHash)},
		{"differs/other position", HashRecord(2, base, genesisHash)},
		{"differs/other predecessor", HashRecord(1, base, [hashSize]byte{1})},
		{"differs/one nanosecond later", func() [hashSize]byte {
			r := base
			r.Time = r.Time.Add(time.Nanosecond)
			return HashRecord(1, r, genesisHash)
		}()},
	}
	for _, tt := range tests {
		if tt.got == h {
			t.Errorf("%s: same hash", tt.name)
		}
	}
	same := base
	same.Time = base.Time.In(time.FixedZone("X", 3600))
	same.Seq = 77
	if HashRecord(1, same, genesisHash) != h {
		t.Error("zone or Record.Seq changed the hash")
	}
}

func TestDecodeHashRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "00", string(make([]byte, 64)), "zz" + string(bytes.Repeat([]byte("0"), 62)), string(bytes.Repeat([]byte("0"), 66))} {
		if _, err := decodeHash(s); err == nil {
			t.Errorf("decodeHash(%q) accepted", s)
		}
	}
	if h, err := decodeHash(encodeHash([hashSize]byte{0xab})); err != nil || h[0] != 0xab {
		t.Errorf("round trip: %x %v", h, err)
	}
}
