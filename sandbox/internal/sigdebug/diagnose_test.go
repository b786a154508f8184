package sigdebug

import (
	"crypto/rand"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/protocol"
)

const (
	appID     = "APP20200218AB"
	appSecret = "s3cr3t-Of-The-App" // #nosec G101 -- test fixture
	oldSecret = "old-s3cr3t"        // #nosec G101 -- test fixture
)

type fixture struct {
	now          time.Time
	priv, other  *sm2.PrivateKey
	macKey, oldK []byte
	creds        []apps.Credential
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Unix(1_700_000_000, 0)}
	var err error
	if f.priv, err = sm2.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if f.other, err = sm2.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	f.macKey = protocol.DeriveMACKey(appSecret, appID)
	f.oldK = protocol.DeriveMACKey(oldSecret, appID)
	valid := func(serial string, kind apps.CredentialKind, material string, st apps.CredentialStatus, from, to time.Time) apps.Credential {
		return apps.Credential{AppID: appID, Serial: serial, Kind: kind, Material: material, Status: st, NotBefore: from, NotAfter: to}
	}
	day := 24 * time.Hour
	f.creds = []apps.Credential{
		valid("s-cur", apps.KindSecret, hex.EncodeToString(f.macKey), apps.CredActive, f.now.Add(-day), f.now.Add(day)),
		valid("s-old", apps.KindSecret, hex.EncodeToString(f.oldK), apps.CredRevoked, f.now.Add(-2*day), f.now.Add(-day)),
		valid("k-cur", apps.KindSM2Sign, pubPEM(t, f.priv), apps.CredActive, f.now.Add(-day), f.now.Add(day)),
		valid("k-two", apps.KindSM2Sign, pubPEM(t, f.other), apps.CredActive, f.now.Add(-day), f.now.Add(day)),
		valid("k-rev", apps.KindSM2Sign, pubPEM(t, f.other), apps.CredRevoked, f.now.Add(-day), f.now.Add(day)),
		valid("k-exp", apps.KindSM2Sign, pubPEM(t, f.priv), apps.CredActive, f.now.Add(-3*day), f.now.Add(-day)),
	}
	return f
}

func pubPEM(t *testing.T, k *sm2.PrivateKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// mis is one way of (mis)signing a request: what is sent, and what is signed how.
type mis struct {
	scheme, serial string
	method, uri    string
	body           string
	signedURI      string // default uri
	signedBody     *string
	ts             time.Time // default: the fixture's now
	// sign turns the signed string into the signature header value.
	sign func(f *fixture, msg []byte) string
	// alter changes the signed string (line endings) before signing.
	alter     func([]byte) []byte
	secret    string // given to the debugger as the App_Secret
	authorize string // replaces the Authorization header
}

const nonce = "0123456789abcdef0123456789abcdef"

func (m mis) build(t *testing.T, f *fixture) (Request, []byte) {
	t.Helper()
	if m.method == "" {
		m.method = "POST"
	}
	ts := m.ts
	if ts.IsZero() {
		ts = f.now
	}
	suri, sbody := m.uri, m.body
	if m.signedURI != "" {
		suri = m.signedURI
	}
	if m.signedBody != nil {
		sbody = *m.signedBody
	}
	msg := protocol.StringToSign(m.method, suri, protocol.Timestamp(ts), nonce, []byte(sbody))
	if m.alter != nil {
		msg = m.alter(msg)
	}
	h := protocol.Credentials{Scheme: m.scheme, AppID: appID, Serial: m.serial, Timestamp: protocol.Timestamp(ts), Nonce: nonce,
		Signature: m.sign(f, msg)}.String()
	if m.authorize != "" {
		h = m.authorize
	}
	r := Request{Method: m.method, URI: m.uri, Host: "127.0.0.1:8443", Authorization: h}
	if m.body != "" {
		r.Body = []byte(m.body)
	}
	return r, msg
}

func derSign(f *fixture, msg []byte) string {
	s, err := protocol.SignSM2(f.priv, msg)
	if err != nil {
		panic(err)
	}
	return s
}

func derSignOther(f *fixture, msg []byte) string {
	s, err := protocol.SignSM2(f.other, msg)
	if err != nil {
		panic(err)
	}
	return s
}

func uidSign(uid string) func(*fixture, []byte) string {
	return func(f *fixture, msg []byte) string {
		sig, err := f.priv.SignWithSM2(rand.Reader, []byte(uid), msg)
		if err != nil {
			panic(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
}

// noZSign signs SM3(msg) without the Z value (an "empty ID" ECDSA-style signer).
func noZSign(f *fixture, msg []byte) string {
	h := sm3.Sum(msg)
	sig, err := sm2.SignASN1(rand.Reader, f.priv, h[:], nil)
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func rawRSSign(f *fixture, msg []byte) string {
	der, _ := base64.StdEncoding.DecodeString(derSign(f, msg))
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		panic(err)
	}
	raw := make([]byte, 64)
	rs.R.FillBytes(raw[:32])
	rs.S.FillBytes(raw[32:])
	return base64.StdEncoding.EncodeToString(raw)
}

func hexDERSign(f *fixture, msg []byte) string {
	der, _ := base64.StdEncoding.DecodeString(derSign(f, msg))
	return hex.EncodeToString(der)
}

func macWith(key []byte) func(*fixture, []byte) string {
	return func(_ *fixture, msg []byte) string { return protocol.MACBase64(key, msg) }
}

func macSign(f *fixture, msg []byte) string { return protocol.MACBase64(f.macKey, msg) }

func strp(s string) *string { return &s }

const (
	payURI  = "/a2/v1/payments"
	payBody = `{"amount":"12.00","payee_name":"张三","memo":"a<b"}`
	prodURI = "/a1/v1/products?page_size=10&category=deposit"
)

func TestDiagnoseNamesEachMistakeFromARealMisSignedRequest(t *testing.T) {
	f := newFixture(t)
	sm2m := func(m mis) mis {
		m.scheme, m.uri = protocol.SchemeSM2, payURI
		if m.serial == "" {
			m.serial = "k-cur"
		}
		if m.body == "" {
			m.body = payBody
		}
		if m.sign == nil {
			m.sign = derSign
		}
		return m
	}
	macm := func(m mis) mis {
		m.scheme, m.method = protocol.SchemeHMAC, "GET"
		if m.uri == "" {
			m.uri = prodURI
		}
		if m.serial == "" {
			m.serial = "s-cur"
		}
		if m.sign == nil {
			m.sign = macSign
		}
		return m
	}
	cases := []struct {
		name string
		m    mis
		code string
		// signedVariant: the debugger must show the string actually signed.
		signedVariant bool
		msgHas        string
	}{
		{"correct SM2 signature is OK", sm2m(mis{}), CodeOK, false, ""},
		{"correct MAC is OK", macm(mis{}), CodeOK, false, ""},
		{"App_ID as SM2 ID is WRONG_DISTINGUISHING_ID", sm2m(mis{sign: uidSign(appID)}), CodeWrongID, false, "App_ID"},
		{"hex text of the default ID is WRONG_DISTINGUISHING_ID", sm2m(mis{sign: uidSign("31323334353637383132333435363738")}), CodeWrongID, false, "hex text"},
		{"signature without Z value is WRONG_DISTINGUISHING_ID", sm2m(mis{sign: noZSign}), CodeWrongID, false, "no distinguishing ID"},
		{"raw r||s is RAW_RS_SIGNATURE", sm2m(mis{sign: rawRSSign}), CodeRawRS, false, "r||s"},
		{"hex-encoded DER is SIGNATURE_NOT_BASE64", sm2m(mis{sign: hexDERSign}), CodeSignatureEncoding, false, "hex"},
		{"pretty-printed body signed, compact sent is BODY_RESERIALIZED",
			sm2m(mis{signedBody: strp("{\n  \"amount\": \"12.00\",\n  \"payee_name\": \"张三\",\n  \"memo\": \"a<b\"\n}")}), CodeBodyReserialized, true, "indented"},
		{"Python json.dumps body signed is BODY_RESERIALIZED",
			sm2m(mis{signedBody: strp(`{"amount": "12.00", "payee_name": "\u5f20\u4e09", "memo": "a<b"}`)}), CodeBodyReserialized, true, "ensure_ascii"},
		{"sorted-keys body signed is BODY_RESERIALIZED",
			sm2m(mis{signedBody: strp(`{"amount":"12.00","memo":"a<b","payee_name":"张三"}`)}), CodeBodyReserialized, true, "sorted"},
		{"body signed with a trailing newline is BODY_RESERIALIZED", sm2m(mis{signedBody: strp(payBody + "\n")}), CodeBodyReserialized, true, "trailing newline"},
		{"CRLF line endings are CRLF_LINE_ENDINGS",
			sm2m(mis{alter: func(b []byte) []byte { return []byte(strings.ReplaceAll(string(b), "\n", "\r\n")) }}), CodeCRLF, true, "CRLF"},
		{"missing final newline is FINAL_NEWLINE_MISSING", sm2m(mis{alter: func(b []byte) []byte { return b[:len(b)-1] }}), CodeFinalNewline, true, "final"},
		{"sorted query signed is PATH_OR_QUERY_ENCODED_DIFFERENTLY",
			macm(mis{signedURI: "/a1/v1/products?category=deposit&page_size=10"}), CodeURIEncoding, true, "sorted"},
		{"query omitted from the signed string is PATH_OR_QUERY_ENCODED_DIFFERENTLY",
			macm(mis{signedURI: "/a1/v1/products"}), CodeURIEncoding, true, "query omitted"},
		{"decoded path signed is PATH_OR_QUERY_ENCODED_DIFFERENTLY",
			macm(mis{uri: "/a1/v1/products/%E5%AD%98%E6%AC%BE", signedURI: "/a1/v1/products/存款"}), CodeURIEncoding, true, "decoded"},
		{"absolute URL signed is PATH_OR_QUERY_ENCODED_DIFFERENTLY",
			macm(mis{signedURI: "https://127.0.0.1:8443" + prodURI}), CodeURIEncoding, true, "absolute"},
		{"timestamp ten minutes old is CLOCK_SKEW", sm2m(mis{ts: f.now.Add(-10 * time.Minute)}), CodeClockSkew, false, "10m0s behind"},
		{"timestamp ahead is CLOCK_SKEW", macm(mis{ts: f.now.Add(7 * time.Minute)}), CodeClockSkew, false, "2m0s beyond"},
		{"unknown serial is KEY_SERIAL_UNKNOWN and names the valid ones", sm2m(mis{serial: "nope"}), CodeSerialUnknown, false, "[k-cur k-two]"},
		{"revoked serial is KEY_SERIAL_REVOKED", sm2m(mis{serial: "k-rev", sign: derSignOther}), CodeSerialRevoked, false, "revoked"},
		{"expired serial is KEY_EXPIRED", sm2m(mis{serial: "k-exp"}), CodeKeyExpired, false, "valid from"},
		{"signature by the app's other key is SIGNED_WITH_OTHER_KEY", sm2m(mis{sign: derSignOther}), CodeOtherKey, false, "k-two"},
		{"MAC keyed with the App_Secret is MAC_KEYED_WITH_APP_SECRET",
			macm(mis{sign: macWith([]byte(appSecret)), secret: appSecret}), CodeMACWithAppSecret, false, "App_Secret itself"},
		{"MAC keyed with the hex text of the key is MAC_KEYED_WITH_HEX_TEXT",
			macm(mis{sign: func(f *fixture, msg []byte) string {
				return protocol.MACBase64([]byte(hex.EncodeToString(f.macKey)), msg)
			}}), CodeMACWithHexKey, false, "hex text"},
		{"MAC with the rotated-out secret is MAC_WITH_OLD_SECRET", macm(mis{sign: macWith(protocol.DeriveMACKey(oldSecret, appID))}), CodeMACWithOldSecret, false, "s-old"},
		{"MAC keyed with the App_Secret, secret not given, is NO_KNOWN_MISTAKE", macm(mis{sign: macWith([]byte(appSecret))}), CodeNoKnownMistake, false, ""},
		{"signature over another string is NO_KNOWN_MISTAKE", sm2m(mis{signedURI: "/a2/v1/other"}), CodeNoKnownMistake, false, ""},
		{"garbled header is AUTHORIZATION_MALFORMED", sm2m(mis{authorize: `JR0185-SM2-SM3 app_id="x"`}), CodeAuthMalformed, false, "missing parameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, signed := tc.m.build(t, f)
			v := Diagnose(r, Keys{AppID: appID, Creds: f.creds, AppSecret: tc.m.secret}, Options{Now: f.now, Window: 5 * time.Minute})
			if v.Diagnosis == nil || v.Diagnosis.Code != tc.code {
				t.Fatalf("diagnosis %+v, want %s", v.Diagnosis, tc.code)
			}
			if v.Valid != (tc.code == CodeOK) {
				t.Errorf("valid = %v for %s", v.Valid, tc.code)
			}
			if v.SignatureValid != (tc.code == CodeOK || tc.code == CodeClockSkew) {
				t.Errorf("signature_valid = %v for %s", v.SignatureValid, tc.code)
			}
			if tc.code != CodeAuthMalformed {
				c, _ := protocol.ParseAuthorization(r.Authorization)
				want := protocol.StringToSign(r.Method, r.URI, c.Timestamp, c.Nonce, r.Body)
				if v.StringToSign != string(want) || v.StringToSignSM3 != protocol.SM3Hex(want) || v.StringToSignEscaped != Escape(string(want)) {
					t.Errorf("string to sign %q (sm3 %s), want %q", v.StringToSign, v.StringToSignSM3, want)
				}
				if v.Serial != tc.m.serial {
					t.Errorf("serial %q, want %q", v.Serial, tc.m.serial)
				}
			}
			if tc.signedVariant && v.Diagnosis.SignedStringEscaped != Escape(string(signed)) {
				t.Errorf("signed string %s, want %s", v.Diagnosis.SignedStringEscaped, Escape(string(signed)))
			}
			if !strings.Contains(v.Diagnosis.Message, tc.msgHas) || v.Diagnosis.Fix == "" {
				t.Errorf("message %q lacks %q (fix %q)", v.Diagnosis.Message, tc.msgHas, v.Diagnosis.Fix)
			}
			if tc.code == CodeNoKnownMistake && len(v.Tried) == 0 {
				t.Error("NO_KNOWN_MISTAKE lists nothing tried")
			}
		})
	}
}

func TestDiagnoseRefusesAnotherAppsRequest(t *testing.T) {
	f := newFixture(t)
	r, _ := mis{scheme: protocol.SchemeHMAC, serial: "s-cur", method: "GET", uri: prodURI, sign: macSign}.build(t, f)
	v := Diagnose(r, Keys{AppID: "OTHERAPP", Creds: f.creds}, Options{Now: f.now, Window: time.Minute})
	if v.Diagnosis.Code != CodeAppMismatch || v.Valid {
		t.Fatalf("%+v", v.Diagnosis)
	}
}
