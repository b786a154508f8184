// Package sigdebug is the sandbox's signature debugger: given a request the bank
// refused (or any request a partner pastes), it rebuilds the exact string the bank
// verifies (protocol.StringToSign — the one definition the gateway uses too), its SM3
// digest and the key serial, and finds the partner's mistake by re-trying the plausible
// ones against the real signature or MAC: another distinguishing ID, raw r‖s instead of
// DER, a re-serialized body, a differently encoded path or query, CRLF or a missing final
// newline, another key or secret, a stale clock.
//
// It is sandbox-only evidence (JR/T 0185-2020 7.1: debug information never reaches a
// production-mode answer; the gateway attaches it only when Options.Debug is set).
package sigdebug

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Request is what the bank received, byte for byte.
type Request struct {
	Method        string
	URI           string // path and query exactly as on the request line
	Host          string // optional: the Host header (to recognise a signed absolute URL)
	Authorization string
	Body          []byte
}

// Keys are the claimed app's registered credentials, all of them (revoked and expired
// ones too: they tell an old secret from a wrong one).
type Keys struct {
	AppID string
	Creds []apps.Credential
	// AppSecret is optional: only the partner knows it (the bank keeps the derived MAC
	// key). Given to the debug endpoint, it lets the debugger recognise a MAC keyed
	// with the App_Secret itself.
	AppSecret string
}

// Options are the bank's clock and timestamp window.
type Options struct {
	Now    time.Time
	Window time.Duration
}

// Verdict is the debugger's answer.
type Verdict struct {
	// Valid: the signature or MAC verifies and the timestamp is inside the window.
	Valid bool `json:"valid"`
	// SignatureValid: the signature or MAC verifies over the canonical string.
	SignatureValid      bool       `json:"signature_valid"`
	Scheme              string     `json:"scheme,omitempty"`
	AppID               string     `json:"app_id,omitempty"`
	Serial              string     `json:"serial,omitempty"`
	StringToSign        string     `json:"string_to_sign"`
	StringToSignEscaped string     `json:"string_to_sign_escaped"`
	StringToSignSM3     string     `json:"string_to_sign_sm3"`
	ValidSerials        []string   `json:"valid_serials,omitempty"`
	Diagnosis           *Diagnosis `json:"diagnosis,omitempty"`
	// Tried lists the mistakes re-tried without a match (when none matched).
	Tried []string `json:"tried,omitempty"`
}

// Diagnosis names the mistake found: a stable code, what happened and what to fix.
type Diagnosis struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
	// SignedStringEscaped is the string the partner actually signed, when the debugger
	// found it (a variant of the canonical string).
	SignedStringEscaped string `json:"signed_string_escaped,omitempty"`
}

// Diagnosis codes (stable: documented in README, tested one by one).
const (
	CodeOK                  = "OK"
	CodeAuthMalformed       = "AUTHORIZATION_MALFORMED"
	CodeAppMismatch         = "APP_ID_MISMATCH"
	CodeAppUnknown          = "APP_UNKNOWN"
	CodeSerialUnknown       = "KEY_SERIAL_UNKNOWN"
	CodeSerialRevoked       = "KEY_SERIAL_REVOKED"
	CodeKeyExpired          = "KEY_EXPIRED"
	CodeSignatureEncoding   = "SIGNATURE_NOT_BASE64"
	CodeRawRS               = "RAW_RS_SIGNATURE"
	CodeWrongID             = "WRONG_DISTINGUISHING_ID"
	CodeOtherKey            = "SIGNED_WITH_OTHER_KEY"
	CodeMACWithAppSecret    = "MAC_KEYED_WITH_APP_SECRET" // #nosec G101 -- a diagnosis code, not a credential
	CodeMACWithHexKey       = "MAC_KEYED_WITH_HEX_TEXT"
	CodeMACWithOldSecret    = "MAC_WITH_OLD_SECRET" // #nosec G101 -- a diagnosis code, not a credential
	CodeCRLF                = "CRLF_LINE_ENDINGS"
	CodeFinalNewline        = "FINAL_NEWLINE_MISSING"
	CodeBodyReserialized    = "BODY_RESERIALIZED"
	CodeURIEncoding         = "PATH_OR_QUERY_ENCODED_DIFFERENTLY"
	CodeClockSkew           = "CLOCK_SKEW"
	CodeNoKnownMistake      = "NO_KNOWN_MISTAKE"
	defaultDistinguishingID = protocol.DefaultUID
	maxSM2Attempts          = 64 // bounds the work one refused request can cause
	hintSM2                 = "signature = base64(DER(SM2-with-SM3 over string_to_sign, distinguishing ID 1234567812345678))"
	hintMAC                 = "MAC = base64(HMAC-SM3(key, string_to_sign)) with key = the raw 32 bytes of HMAC-SM3(App_Secret, App_ID)"
	fixLines                = "every line of the string to sign ends in a single \\n (LF), the body line included"
	schemeHMAC, schemeSM2   = protocol.SchemeHMAC, protocol.SchemeSM2
	kindSecret, kindSM2Sign = apps.KindSecret, apps.KindSM2Sign
	credActive              = apps.CredActive
)

// Escape renders a string with its line endings visible (\n, \r\n), quoted like Go.
func Escape(s string) string { return strconv.Quote(s) }

// Diagnose re-verifies r as the gateway does and, if it fails, finds the mistake.
func Diagnose(r Request, k Keys, o Options) Verdict {
	var v Verdict
	c, err := protocol.ParseAuthorization(r.Authorization)
	if err != nil {
		v.setString(protocol.StringToSign(r.Method, r.URI, "", "", r.Body))
		v.Diagnosis = &Diagnosis{Code: CodeAuthMalformed, Message: err.Error(),
			Fix: "send Authorization: <scheme> app_id=\"...\",serial=\"...\",timestamp=\"...\",nonce=\"...\",signature=\"...\""}
		return v
	}
	v.Scheme, v.AppID, v.Serial = c.Scheme, c.AppID, c.Serial
	sts := protocol.StringToSign(r.Method, r.URI, c.Timestamp, c.Nonce, r.Body)
	v.setString(sts)
	if k.AppID != "" && k.AppID != c.AppID {
		v.Diagnosis = &Diagnosis{Code: CodeAppMismatch,
			Message: fmt.Sprintf("the Authorization header names App_ID %s, not %s", c.AppID, k.AppID),
			Fix:     "sign with the credentials of the App_ID you send in app_id"}
		return v
	}
	kind := kindSecret
	if c.Scheme == schemeSM2 {
		kind = kindSM2Sign
	}
	v.ValidSerials = validSerials(k.Creds, kind, o.Now)

	key := findKey(k.Creds, kind, c.Serial)
	if d := serialProblem(key, c, kind, v.ValidSerials, o.Now); d != nil {
		v.Diagnosis = d
		return v
	}
	d := &debugger{r: r, c: c, keys: k, key: *key, sts: sts}
	if d.verify(sts) {
		v.SignatureValid = true
		if sk := skewProblem(c.Timestamp, o); sk != nil {
			v.Diagnosis = sk
			return v
		}
		v.Valid = true
		v.Diagnosis = &Diagnosis{Code: CodeOK, Message: "the " + KindName(c.Scheme) + " verifies and the timestamp is inside the window", Fix: "nothing"}
		return v
	}
	v.Diagnosis, v.Tried = d.find()
	return v
}

// UnknownApp is the verdict on a request naming an App_ID the bank does not know.
func UnknownApp(r Request, appID string) Verdict {
	c, _ := protocol.ParseAuthorization(r.Authorization)
	v := Verdict{Scheme: c.Scheme, AppID: appID, Serial: c.Serial}
	v.setString(protocol.StringToSign(r.Method, r.URI, c.Timestamp, c.Nonce, r.Body))
	v.Diagnosis = &Diagnosis{Code: CodeAppUnknown, Message: fmt.Sprintf("App_ID %q is not registered at this bank", appID),
		Fix: "register the app (POST /partners/v1/registrations or the admin API) and use the App_ID it returns"}
	return v
}

func (v *Verdict) setString(sts []byte) {
	v.StringToSign = string(sts)
	v.StringToSignEscaped = Escape(string(sts))
	v.StringToSignSM3 = protocol.SM3Hex(sts)
}

// KindName names what a scheme authenticates a request with: "HMAC-SM3 MAC" or "SM2
// signature" (the gateway's refusals say it too).
func KindName(scheme string) string {
	if scheme == schemeHMAC {
		return "HMAC-SM3 MAC"
	}
	return "SM2 signature"
}

func findKey(creds []apps.Credential, kind apps.CredentialKind, serial string) *apps.Credential {
	for i := range creds {
		if creds[i].Kind == kind && creds[i].Serial == serial {
			return &creds[i]
		}
	}
	return nil
}

func validSerials(creds []apps.Credential, kind apps.CredentialKind, now time.Time) []string {
	out := []string{}
	for _, c := range creds {
		if c.Kind == kind && c.ValidAt(now) {
			out = append(out, c.Serial)
		}
	}
	sort.Strings(out)
	return out
}

func serialProblem(key *apps.Credential, c protocol.Credentials, kind apps.CredentialKind, valid []string, now time.Time) *Diagnosis {
	fix := fmt.Sprintf("send serial=\"<one of %v>\" and sign with that %s", valid, kind)
	switch {
	case key == nil:
		return &Diagnosis{Code: CodeSerialUnknown,
			Message: fmt.Sprintf("App_ID %s has no %s credential with serial %q; its valid serials are %v", c.AppID, kind, c.Serial, valid), Fix: fix}
	case key.Status != credActive:
		return &Diagnosis{Code: CodeSerialRevoked,
			Message: fmt.Sprintf("credential %s of App_ID %s is %s; its valid serials are %v", c.Serial, c.AppID, key.Status, valid), Fix: fix}
	case !key.ValidAt(now):
		return &Diagnosis{Code: CodeKeyExpired,
			Message: fmt.Sprintf("credential %s of App_ID %s is valid from %s to %s, not at %s; its valid serials are %v", c.Serial, c.AppID,
				key.NotBefore.UTC().Format(time.RFC3339), key.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), valid), Fix: fix}
	}
	return nil
}

func skewProblem(timestamp string, o Options) *Diagnosis {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return &Diagnosis{Code: CodeClockSkew, Message: "timestamp is not unix seconds", Fix: "send the unix time in seconds"}
	}
	skew := o.Now.Sub(time.Unix(ts, 0))
	if skew <= o.Window && -skew <= o.Window {
		return nil
	}
	dir := "behind"
	if skew < 0 {
		dir = "ahead of"
	}
	return &Diagnosis{Code: CodeClockSkew,
		Message: fmt.Sprintf("the signature is right, but timestamp %s is %s %s the bank's clock (%s); the window is ±%s, so it is %s beyond it",
			timestamp, skew.Abs().Round(time.Second), dir, protocol.Timestamp(o.Now), o.Window, (skew.Abs() - o.Window).Round(time.Second)),
		Fix: "sync the client clock (NTP) and send the current unix time; never reuse an old signed request"}
}

// debugger re-tries the plausible mistakes, one at a time.
type debugger struct {
	r    Request
	c    protocol.Credentials
	keys Keys
	key  apps.Credential
	sts  []byte

	sigDER   []byte // the SM2 signature as DER (converted from r‖s when needed)
	pub      *ecdsa.PublicKey
	attempts int
}

// verify checks msg with the claimed key exactly as the gateway does.
func (d *debugger) verify(msg []byte) bool {
	if d.c.Scheme == schemeHMAC {
		mk, err := hex.DecodeString(d.key.Material)
		return err == nil && protocol.VerifyMAC(mk, msg, d.c.Signature)
	}
	pub, err := ParseSM2Public(d.key.Material)
	if err != nil {
		return false
	}
	d.pub = pub
	return protocol.VerifySM2(pub, msg, d.c.Signature)
}

// check verifies msg with the claimed key and the (normalized) signature.
func (d *debugger) check(msg []byte) bool {
	if d.c.Scheme == schemeHMAC {
		mk, err := hex.DecodeString(d.key.Material)
		return err == nil && macEqual(mk, msg, d.c.Signature)
	}
	return d.sm2(d.pub, defaultDistinguishingID, msg)
}

func (d *debugger) sm2(pub *ecdsa.PublicKey, uid string, msg []byte) bool {
	if pub == nil || d.sigDER == nil || d.attempts >= maxSM2Attempts {
		return false
	}
	d.attempts++
	return sm2.VerifyASN1WithSM2(pub, []byte(uid), msg, d.sigDER)
}

func macEqual(key, msg []byte, sig string) bool { return protocol.VerifyMAC(key, msg, sig) }

type attempt struct {
	name string
	try  func() (*Diagnosis, bool)
}

// find runs the attempts in order and returns the first mistake that explains the
// signature, or NO_KNOWN_MISTAKE with the list tried.
func (d *debugger) find() (*Diagnosis, []string) {
	var list []attempt
	if d.c.Scheme == schemeSM2 {
		list = append(list, d.sm2Attempts()...)
	} else {
		list = append(list, d.macAttempts()...)
	}
	list = append(list, d.stringAttempts()...)
	tried := make([]string, 0, len(list))
	for _, a := range list {
		if dg, ok := a.try(); ok {
			return dg, nil
		}
		tried = append(tried, a.name)
	}
	hint := hintSM2
	if d.c.Scheme == schemeHMAC {
		hint = hintMAC
	}
	return &Diagnosis{Code: CodeNoKnownMistake,
		Message: fmt.Sprintf("the %s does not verify with key serial %s, and none of the common mistakes explains it", KindName(d.c.Scheme), d.c.Serial),
		Fix:     "compare your string to sign with string_to_sign byte for byte (see string_to_sign_escaped and its SM3 digest); " + hint}, tried
}

// sm2Attempts: the signature's encoding, then the distinguishing ID, then other keys.
func (d *debugger) sm2Attempts() []attempt {
	raw, enc := decodeSignature(d.c.Signature)
	switch {
	case raw == nil:
	case isDER(raw):
		d.sigDER = raw
	case len(raw) == 64:
		d.sigDER = rsToDER(raw)
	}
	out := []attempt{}
	if enc == "hex" && d.sigDER != nil {
		out = append(out, attempt{"signature hex-encoded", func() (*Diagnosis, bool) {
			return &Diagnosis{Code: CodeSignatureEncoding,
				Message: "the signature was sent hex-encoded; the bank decodes it as base64",
				Fix:     "send base64(DER signature), standard alphabet with padding"}, d.check(d.sts)
		}})
	}
	if len(raw) == 64 && !isDER(raw) {
		out = append(out, attempt{"raw r||s instead of DER", func() (*Diagnosis, bool) {
			return &Diagnosis{Code: CodeRawRS,
				Message: "the signature is the raw 64-byte r||s; the bank expects the ASN.1 DER SEQUENCE{r, s}",
				Fix:     "encode the signature as DER (SEQUENCE of two INTEGERs) before base64, as GM/T 0009 and openssl do"}, d.check(d.sts)
		}})
	}
	for _, u := range []struct{ name, uid, what string }{
		{"App_ID as distinguishing ID", d.c.AppID, "the App_ID"},
		{"hex text of the default ID", hex.EncodeToString([]byte(defaultDistinguishingID)), "the hex text of 1234567812345678"},
		{"distinguishing ID 1234567812345678 followed by NUL", defaultDistinguishingID + "\x00", "1234567812345678 with a trailing NUL"},
	} {
		out = append(out, attempt{u.name, func() (*Diagnosis, bool) {
			return wrongID(u.what), d.sm2(d.pub, u.uid, d.sts)
		}})
	}
	out = append(out, attempt{"no Z value (plain SM3 digest, empty ID)", func() (*Diagnosis, bool) {
		if d.pub == nil || d.sigDER == nil {
			return nil, false
		}
		h := sm3.Sum(d.sts)
		return wrongID("no distinguishing ID at all (the digest is SM3(string) without the Z value: empty ID or plain ECDSA-style signing)"),
			sm2.VerifyASN1(d.pub, h[:], d.sigDER)
	}})
	out = append(out, attempt{"another SM2 key of the app", func() (*Diagnosis, bool) {
		for _, c := range d.keys.Creds {
			if c.Kind != kindSM2Sign || c.Serial == d.key.Serial {
				continue
			}
			pub, err := ParseSM2Public(c.Material)
			if err == nil && d.sm2(pub, defaultDistinguishingID, d.sts) {
				return &Diagnosis{Code: CodeOtherKey,
					Message: fmt.Sprintf("the signature verifies with key serial %s (%s), not with the serial %s you sent", c.Serial, c.Status, d.key.Serial),
					Fix:     fmt.Sprintf("send serial=%q with this key, or sign with the key of serial %s", c.Serial, d.key.Serial)}, true
			}
		}
		return nil, false
	}})
	return out
}

func wrongID(what string) *Diagnosis {
	return &Diagnosis{Code: CodeWrongID,
		Message: "the signature verifies with " + what + " as the SM2 distinguishing ID; the bank uses the default ID 1234567812345678 (GM/T 0009)",
		Fix:     "sign with the distinguishing ID \"1234567812345678\" (the ASCII bytes 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38); in Go emmansun/gmsm pass nil, in openssl use -sigopt distid:1234567812345678"}
}

// macAttempts: the MAC key taken from the wrong place.
func (d *debugger) macAttempts() []attempt {
	out := []attempt{{"MAC keyed with the hex text of the MAC key", func() (*Diagnosis, bool) {
		return &Diagnosis{Code: CodeMACWithHexKey,
			Message: "the MAC is keyed with the 64-character hex text of the MAC key instead of its 32 raw bytes",
			Fix:     "hex-decode the MAC key (HMAC-SM3(App_Secret, App_ID)) and use the 32 bytes as the HMAC key"}, macEqual([]byte(d.key.Material), d.sts, d.c.Signature)
	}}}
	if d.keys.AppSecret != "" {
		out = append(out, attempt{"MAC keyed with the App_Secret itself", func() (*Diagnosis, bool) {
			return &Diagnosis{Code: CodeMACWithAppSecret,
					Message: "the MAC is keyed with the App_Secret itself; the bank keys it with the MAC key derived from it",
					Fix:     "key = HMAC-SM3(key = App_Secret, message = App_ID) (printf '%s' \"$APP_ID\" | openssl dgst -sm3 -hmac \"$APP_SECRET\"), then MAC = HMAC-SM3(key, string_to_sign)"},
				macEqual([]byte(d.keys.AppSecret), d.sts, d.c.Signature)
		}})
	}
	out = append(out, attempt{"MAC with another (old or rotated) secret of the app", func() (*Diagnosis, bool) {
		for _, c := range d.keys.Creds {
			if c.Kind != kindSecret || c.Serial == d.key.Serial {
				continue
			}
			mk, err := hex.DecodeString(c.Material)
			if err == nil && macEqual(mk, d.sts, d.c.Signature) {
				state := string(c.Status)
				if c.Status == credActive && !c.NotAfter.IsZero() {
					state = "valid until " + c.NotAfter.UTC().Format(time.RFC3339)
				}
				return &Diagnosis{Code: CodeMACWithOldSecret,
					Message: fmt.Sprintf("the MAC was computed with the secret of serial %s (%s), not with the secret of serial %s you sent", c.Serial, state, d.key.Serial),
					Fix:     fmt.Sprintf("use the App_Secret issued with serial %s (the latest rotation), or send the serial that matches your secret", d.key.Serial)}, true
			}
		}
		return nil, false
	}})
	return out
}

// decodeSignature decodes base64 (the contract) or, failing a usable result, hex.
func decodeSignature(s string) (raw []byte, enc string) {
	if b, err := hex.DecodeString(s); err == nil && (isDER(b) || len(b) == 64) {
		return b, "hex"
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, "base64"
	}
	return nil, ""
}

// isDER reports whether b is an ASN.1 SEQUENCE of two INTEGERs.
func isDER(b []byte) bool {
	_, _, err := parseDER(b)
	return err == nil
}
