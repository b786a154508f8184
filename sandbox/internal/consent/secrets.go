package consent

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/jr0185/harness/sandbox/protocol"
)

// Prefixes of the opaque values this package issues. A prefix tells a human (and a
// secret scanner) what leaked; the value after it is 32 random bytes.
const (
	PrefixAccessToken  = "at_"
	PrefixRefreshToken = "rt_"
	PrefixCode         = "ac_"
	prefixRequest      = "ar_"
	prefixConsent      = "cs_"
)

// secret returns prefix + 32 random bytes, base64url.
func secret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newID returns prefix + 16 random bytes, hex: identifiers that are not credentials.
func newID(prefix string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// digest is how tokens and codes are stored: SM3, hex.
func digest(s string) string { return protocol.SM3Hex([]byte(s)) }

// wellFormed screens a presented token or code before any lookup.
func wellFormed(s, prefix string) bool {
	return strings.HasPrefix(s, prefix) && len(s) == len(prefix)+43
}
