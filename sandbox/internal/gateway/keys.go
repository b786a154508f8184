package gateway

import (
	"crypto/ecdsa"

	"github.com/jr0185/harness/sandbox/internal/sigdebug"
)

// parseSM2Public reads a registered SM2 signing credential (shared with the signature
// debugger so both verify with the same key).
func parseSM2Public(material string) (*ecdsa.PublicKey, error) {
	return sigdebug.ParseSM2Public(material)
}
