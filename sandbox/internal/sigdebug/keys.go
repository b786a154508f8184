package sigdebug

import (
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"sync"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// ParseSM2Public reads a registered SM2 signing credential: a PEM certificate or a PEM
// public key (JR/T 0185-2020 9.2.1 a) 1): 数字证书（或公私钥对）). The gateway and the
// debugger share it, so both verify with the same key.
func ParseSM2Public(material string) (*ecdsa.PublicKey, error) {
	if k, ok := keyCache.Load(material); ok {
		return k.(*ecdsa.PublicKey), nil
	}
	k, err := parseSM2PublicUncached(material)
	if err == nil {
		keyCache.Store(material, k)
	}
	return k, err
}

// keyCache holds parsed keys by their PEM text; registered material never changes.
var keyCache sync.Map

func parseSM2PublicUncached(material string) (*ecdsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(material))
	if block == nil {
		return nil, errors.New("credential is not PEM")
	}
	var pub any
	switch block.Type {
	case "CERTIFICATE":
		c, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = c.PublicKey
	case "PUBLIC KEY":
		p, err := smx509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = p
	default:
		return nil, errors.New("unsupported PEM type " + block.Type)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(ec) {
		return nil, errors.New("credential is not an SM2 public key")
	}
	return ec, nil
}
