package protocol

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"crypto/rand"
	"github.com/emmansun/gmsm/sm2"
)

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	good := `JR0185-HMAC-SM3 app_id="APP1",serial="1",timestamp="1700000000",nonce="abcdefgh",signature="AAAA"`
	tests := []struct {
		name    string
		header  string
		wantErr string
	}{
		{"ok/hmac", good, ""},
		{"ok/sm2 with spaces after commas", `JR0185-SM2-SM3 app_id="A", serial="9f", timestamp="1", nonce="n0nce_-x", signature="a+/="`, ""},
		{"malformed/empty", "", "empty"},
		{"malformed/unknown scheme", `Bearer app_id="x"`, "unknown scheme"},
		{"malformed/no params", "JR0185-SM2-SM3", "expected"},
		{"malformed/missing nonce", `JR0185-SM2-SM3 app_id="A",serial="1",timestamp="1",signature="AA"`, "missing parameter \"nonce\""},
		{"malformed/duplicate", `JR0185-SM2-SM3 app_id="A",app_id="B",serial="1",timestamp="1",nonce="abcdefgh",signature="AA"`, "duplicate"},
		{"malformed/unknown param", `JR0185-SM2-SM3 app_id="A",serial="1",timestamp="1",nonce_str="abcdefgh",signature="AA"`, "unknown parameter"},
		{"malformed/unquoted", `JR0185-SM2-SM3 app_id=A`, "double-quoted"},
		{"malformed/unterminated", `JR0185-SM2-SM3 app_id="A`, "unterminated"},
		{"malformed/trailing comma", good + ",", "trailing"},
		{"malformed/short nonce", strings.Replace(good, "abcdefgh", "abc", 1), "nonce must be"},
		{"malformed/non-digit timestamp", strings.Replace(good, "1700000000", "17e8", 1), "timestamp contains"},
		{"malformed/newline in app id", strings.Replace(good, "APP1", "AP\nP", 1), "app_id contains"},
		{"malformed/too long", good + strings.Repeat(" ", MaxAuthorizationLen), "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseAuthorization(tc.header)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if again, err := ParseAuthorization(c.String()); err != nil || again != c {
					t.Fatalf("round trip: %+v, %v", again, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add(`JR0185-HMAC-SM3 app_id="APP1",serial="1",timestamp="1700000000",nonce="abcdefgh",signature="AAAA"`)
	f.Add(`JR0185-SM2-SM3 app_id="",,`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseAuthorization(h)
		if err != nil {
			return
		}
		if again, err := ParseAuthorization(c.String()); err != nil || again != c {
			t.Fatalf("accepted header does not round-trip: %q -> %+v (%v)", h, again, err)
		}
	})
}

// TestWorkedMACExample pins the worked example in the README and manual. The expected
// values were computed with OpenSSL 3:
//
//	K=$(printf '%s' APPDEMO000001 | openssl dgst -sm3 -hmac demo-secret -r | cut -d' ' -f1)
//	printf 'GET\n/a1/v1/products?page=1\n1700000000\nn0nce-0001\n\n' |
//	  openssl dgst -sm3 -mac HMAC -macopt hexkey:$K -binary | base64
func TestWorkedMACExample(t *testing.T) {
	t.Parallel()
	key := DeriveMACKey("demo-secret", "APPDEMO000001")
	if got := hex.EncodeToString(key); got != "019d761e05b9ad5c0c8d692c3a62f91c011b3c2d4553e7fd71d80df45c972340" {
		t.Fatalf("derived key = %s", got)
	}
	sts := StringToSign("GET", "/a1/v1/products?page=1", "1700000000", "n0nce-0001", nil)
	if string(sts) != "GET\n/a1/v1/products?page=1\n1700000000\nn0nce-0001\n\n" {
		t.Fatalf("string to sign = %q", sts)
	}
	if got := MACBase64(key, sts); got != "FJmWgBR63UrcMBz9kTv+Ie9wkGZOQzT8XCZEp66BWvo=" {
		t.Fatalf("MAC = %s", got)
	}
	if !VerifyMAC(key, sts, "FJmWgBR63UrcMBz9kTv+Ie9wkGZOQzT8XCZEp66BWvo=") || VerifyMAC(key, append(sts, 'x'), "FJmWgBR63UrcMBz9kTv+Ie9wkGZOQzT8XCZEp66BWvo=") || VerifyMAC(key, sts, "%%%") {
		t.Fatal("VerifyMAC disagrees with MACBase64")
	}
}

func TestSM2SignVerify(t *testing.T) {
	t.Parallel()
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	msg := ResponseStringToSign("1700000000", "abc", []byte(`{"ok":true}`))
	sig, err := SignSM2(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifySM2(&priv.PublicKey, msg, sig) {
		t.Fatal("own signature does not verify")
	}
	if VerifySM2(&priv.PublicKey, append(msg, ' '), sig) {
		t.Fatal("signature verified over different bytes")
	}
}

func TestParseUAPIID(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, id, wantErr string }{
		{"ok/A1 products", "OPC9999901030001000001" + "00", ""},
		{"ok/A2 payments", "OPC9999902020001000001" + "00", ""},
		{"bad/length", "OPC99999010300010000010", "24 characters"},
		{"bad/prefix", "XPC999990103000100000100", "OP"},
		{"bad/level 00", "OPC999990003000100000100", "interface type"},
		{"bad/level 03", "OPC999990303000100000100", "interface type"},
		{"bad/category first level reserved", "OPC999990100000100000100", "first level 00"},
		{"bad/category second level reserved", "OPC999990103000000000100", "second level 0000"},
		{"bad/sequence zero", "OPC999990103000100000000", "sequence"},
		{"bad/reserved", "OPC999990103000100000101", "reserved"},
		{"bad/lowercase institution", "OPc999990103000100000100", "institution"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := ParseUAPIID(tc.id)
			if tc.wantErr == "" {
				if err != nil || u.String() != tc.id {
					t.Fatalf("ParseUAPIID(%s) = %+v, %v", tc.id, u, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzParseUAPIID(f *testing.F) {
	f.Add("OPC999990103000100000100")
	f.Fuzz(func(t *testing.T, s string) {
		if u, err := ParseUAPIID(s); err == nil && u.String() != s {
			t.Fatalf("round trip %q -> %q", s, u.String())
		}
	})
}
