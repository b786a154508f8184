package faults

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/internal/signing"
	"github.com/jr0185/harness/sandbox/protocol"
)

func TestSpoilBreaksExactlyWhatItsKindSays(t *testing.T) {
	t.Parallel()
	current, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	retired, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"available":"120.00"}`)
	ts, nonce := "1700000000", "n0nce"
	sig, err := protocol.SignSM2(current, protocol.ResponseStringToSign(ts, nonce, body))
	if err != nil {
		t.Fatal(err)
	}
	m := Signed{Body: body, Timestamp: ts, Nonce: nonce, Signature: sig, Serial: "5a1"}
	sp := Spoiler{Retired: &signing.Key{Priv: retired, Serial: "7e7"}}
	verifies := func(pub *sm2.PrivateKey, x Signed) bool {
		return protocol.VerifySM2(&pub.PublicKey, protocol.ResponseStringToSign(x.Timestamp, x.Nonce, x.Body), x.Signature)
	}
	cases := []struct {
		kind  Kind
		check func(Signed) string
	}{
		{TamperBody, func(x Signed) string {
			if string(x.Body) != `{"available":"220.00"}` || x.Signature != sig || x.Serial != "5a1" || verifies(current, x) {
				return "want one digit of the body changed, the signature kept and no longer verifying"
			}
			return ""
		}},
		{TamperSignature, func(x Signed) string {
			if string(x.Body) != string(body) || x.Signature == sig || x.Serial != "5a1" || verifies(current, x) {
				return "want the signature changed and no longer verifying, the rest kept"
			}
			return ""
		}},
		{StripSignature, func(x Signed) string {
			if x.Signature != "" || x.Serial != "" || x.Timestamp != ts {
				return "want signature and serial removed"
			}
			return ""
		}},
		{UnknownSerial, func(x Signed) string {
			if x.Serial == "5a1" || !strings.HasPrefix(x.Serial, "0f") || len(x.Serial) != 16 || !verifies(current, x) {
				return "want an unpublished serial on a signature that still verifies under the current key"
			}
			return ""
		}},
		{RetiredKey, func(x Signed) string {
			if x.Serial != "7e7" || !verifies(retired, x) || x.Timestamp != ts || x.Nonce != nonce || string(x.Body) != string(body) {
				return "want the same message signed by the retired key under its serial"
			}
			return ""
		}},
		{RateLimit, func(x Signed) string {
			if x.Signature != sig || x.Serial != "5a1" || string(x.Body) != string(body) {
				return "a kind that does not spoil changed the message"
			}
			return ""
		}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			got, err := sp.Spoil(c.kind, m)
			if err != nil {
				t.Fatal(err)
			}
			if why := c.check(got); why != "" {
				t.Fatalf("%s: got %+v", why, got)
			}
			if string(m.Body) != string(body) {
				t.Fatal("Spoil changed its input's body")
			}
		})
	}
	t.Run("tamper-body of a body without a digit appends a space", func(t *testing.T) {
		in := Signed{Body: []byte(`{"revoked":true}`), Signature: sig}
		got, err := sp.Spoil(TamperBody, in)
		if err != nil || string(got.Body) != `{"revoked":true} ` || string(in.Body) != `{"revoked":true}` {
			t.Fatalf("%q %v", got.Body, err)
		}
	})
	t.Run("retired-key without a retired key is an error", func(t *testing.T) {
		if _, err := (Spoiler{}).Spoil(RetiredKey, m); !errors.Is(err, ErrNoRetiredKey) {
			t.Fatalf("err = %v", err)
		}
	})
	if a, b := UnpublishedSerial(), UnpublishedSerial(); a == b {
		t.Fatal("two unpublished serials are equal")
	}
}
