package protocol

import (
	"errors"
	"fmt"
	"strings"
)

// Authorization schemes, one per algorithm (brief section 4).
const (
	// SchemeHMAC is the A1 scheme: App_ID + App_Secret-derived key, HMAC-SM3.
	// JR/T 0185-2020 9.2.2/1: A1 uses MAC checking for integrity.
	SchemeHMAC = "JR0185-HMAC-SM3"
	// SchemeSM2 is the A2 scheme: App_ID + SM2 key pair, SM2-with-SM3 signature.
	// JR/T 0185-2020 7.2.1 a) 2), 9.2.2/2: A2 uses digital signatures.
	SchemeSM2 = "JR0185-SM2-SM3"
)

// Limits on the Authorization header. Anything beyond them is malformed, never parsed
// further: the header is untrusted input.
const (
	MaxAuthorizationLen = 2048
	MaxNonceLen         = 64
	MinNonceLen         = 8
	MaxAppIDLen         = 64
	MaxSerialLen        = 64
	MaxSignatureLen     = 512
)

// Credentials are the parsed fields of an Authorization header.
type Credentials struct {
	Scheme    string
	AppID     string
	Serial    string
	Timestamp string
	Nonce     string
	Signature string
}

// ErrMalformed is wrapped by every ParseAuthorization error.
var ErrMalformed = errors.New("malformed Authorization header")

var requiredParams = []string{"app_id", "serial", "timestamp", "nonce", "signature"}

// String renders the credentials as an Authorization header value.
func (c Credentials) String() string {
	return fmt.Sprintf(`%s app_id="%s",serial="%s",timestamp="%s",nonce="%s",signature="%s"`,
		c.Scheme, c.AppID, c.Serial, c.Timestamp, c.Nonce, c.Signature)
}

// ParseAuthorization parses an Authorization header strictly: a known scheme, one
// space, then comma-separated key="value" pairs with each of app_id, serial,
// timestamp, nonce and signature exactly once. Unknown keys are refused so that a
// typo ("nonce_str") is reported rather than ignored.
func ParseAuthorization(h string) (Credentials, error) {
	var c Credentials
	if h == "" {
		return c, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if len(h) > MaxAuthorizationLen {
		return c, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxAuthorizationLen)
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return c, fmt.Errorf("%w: expected \"<scheme> app_id=...\"", ErrMalformed)
	}
	switch scheme {
	case SchemeHMAC, SchemeSM2:
	default:
		return c, fmt.Errorf("%w: unknown scheme %q (want %s or %s)", ErrMalformed, clip(scheme), SchemeHMAC, SchemeSM2)
	}
	c.Scheme = scheme
	seen := map[string]bool{}
	for len(rest) > 0 {
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			return c, fmt.Errorf("%w: parameter without '='", ErrMalformed)
		}
		key = strings.TrimSpace(key)
		if !strings.HasPrefix(after, `"`) {
			return c, fmt.Errorf("%w: value of %q must be double-quoted", ErrMalformed, clip(key))
		}
		val, tail, ok := strings.Cut(after[1:], `"`)
		if !ok {
			return c, fmt.Errorf("%w: unterminated value of %q", ErrMalformed, clip(key))
		}
		if seen[key] {
			return c, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, clip(key))
		}
		seen[key] = true
		switch key {
		case "app_id":
			c.AppID = val
		case "serial":
			c.Serial = val
		case "timestamp":
			c.Timestamp = val
		case "nonce":
			c.Nonce = val
		case "signature":
			c.Signature = val
		default:
			return c, fmt.Errorf("%w: unknown parameter %q (allowed: %s)", ErrMalformed, clip(key), strings.Join(requiredParams, ", "))
		}
		tail = strings.TrimLeft(tail, " ")
		if tail == "" {
			break
		}
		if tail[0] != ',' {
			return c, fmt.Errorf("%w: expected ',' after %q", ErrMalformed, clip(key))
		}
		rest = strings.TrimLeft(tail[1:], " ")
		if rest == "" {
			return c, fmt.Errorf("%w: trailing ','", ErrMalformed)
		}
	}
	for _, k := range requiredParams {
		if !seen[k] {
			return c, fmt.Errorf("%w: missing parameter %q", ErrMalformed, k)
		}
	}
	if err := checkField("app_id", c.AppID, 1, MaxAppIDLen, isIDChar); err != nil {
		return c, err
	}
	if err := checkField("serial", c.Serial, 1, MaxSerialLen, isIDChar); err != nil {
		return c, err
	}
	if err := checkField("timestamp", c.Timestamp, 1, 12, isDigit); err != nil {
		return c, err
	}
	if err := checkField("nonce", c.Nonce, MinNonceLen, MaxNonceLen, isIDChar); err != nil {
		return c, err
	}
	if err := checkField("signature", c.Signature, 1, MaxSignatureLen, isBase64Char); err != nil {
		return c, err
	}
	return c, nil
}

func checkField(name, v string, min, max int, ok func(byte) bool) error {
	if len(v) < min || len(v) > max {
		return fmt.Errorf("%w: %s must be %d to %d characters", ErrMalformed, name, min, max)
	}
	for i := 0; i < len(v); i++ {
		if !ok(v[i]) {
			return fmt.Errorf("%w: %s contains a character outside its alphabet", ErrMalformed, name)
		}
	}
	return nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isIDChar(b byte) bool {
	return isDigit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '-' || b == '_'
}

func isBase64Char(b byte) bool {
	return isDigit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '+' || b == '/' || b == '='
}

// clip keeps attacker-controlled text short and printable before it is echoed.
func clip(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
