package consent

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/jr0185/harness/sandbox/internal/problem"
)

// MethodS256 is the only PKCE method accepted (RFC 7636 4.2). "plain" would let anyone
// who sees the authorization request redeem the code, so it is refused; PKCE is
// mandatory (JR/T 0185-2020 10.2.2/1: the code is redeemed only by the client the user
// authorized).
const MethodS256 = "S256"

// checkChallenge validates the authorization request's PKCE parameters.
func checkChallenge(challenge, method string) error {
	if challenge == "" {
		return problem.PKCERequired.WithDetail("send code_challenge = BASE64URL(SHA-256(code_verifier)) and code_challenge_method = S256 (RFC 7636)")
	}
	if method != MethodS256 {
		if method == "" {
			method = "plain (the default when code_challenge_method is absent)"
		}
		return problem.PKCEMethodUnsupported.WithDetail("code_challenge_method %s is not accepted: use S256", problem.Clip(method))
	}
	// BASE64URL without padding of a 32-byte digest is 43 characters.
	if b, err := base64.RawURLEncoding.DecodeString(challenge); err != nil || len(b) != sha256.Size {
		return problem.PKCERequired.WithDetail("code_challenge must be 43 characters of unpadded base64url (a SHA-256 digest)")
	}
	return nil
}

// S256 is the code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))).
func S256(verifier string) string {
	d := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(d[:])
}

// verifierOK reports whether verifier is well-formed (RFC 7636 4.1: 43 to 128
// unreserved characters) and matches challenge.
func verifierOK(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for i := 0; i < len(verifier); i++ {
		c := verifier[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(S256(verifier)), []byte(challenge)) == 1
}
