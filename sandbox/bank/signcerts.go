package bank

import (
	"fmt"
	"sync/atomic"

	"github.com/jr0185/harness/sandbox/internal/pki"
	"github.com/jr0185/harness/sandbox/internal/signing"
)

// signCerts is the published list of the bank's signing certificates (PEM, current
// first), kept in memory. It is read from the PKI folder once and replaced as a whole
// on rotation, before the signer switches keys: a partner fetching
// /pki/bank-sign-certs.pem while the key rotates always gets a complete list that holds
// the key of every answer it has received (JR/T 0185-2020 7.3.4/3; reading the files
// on each request could catch them half-written).
type signCerts struct{ list atomic.Pointer[[][]byte] }

// loadSignCerts reads the certificates in the PKI folder.
func loadSignCerts(dir string) (*signCerts, error) {
	certs, err := pki.SignCerts(dir)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(certs))
	for _, c := range certs {
		out = append(out, pki.EncodeCertPEM(c.Raw))
	}
	s := &signCerts{}
	s.list.Store(&out)
	return s, nil
}

// Get returns the list, current first.
func (s *signCerts) Get() [][]byte { return *s.list.Load() }

// retiredSignKey makes the sandbox's retired signing key (pki.IssueRetiredSignKey) and
// publishes its expired certificate last, after the certificates still in use: a bank
// keeps a retired certificate published for verifying history, and the retired-key
// fault signs with the key so the partner-side suite can check that a partner checks a
// certificate's validity, not only its serial (JR/T 0185-2020 7.3.4/3, 9.3.3/1).
func retiredSignKey(pk *pki.Bank, published *signCerts) (*signing.Key, error) {
	key, cert, err := pk.IssueRetiredSignKey()
	if err != nil {
		return nil, fmt.Errorf("retired signing key: %w", err)
	}
	prev := published.Get()
	next := append(append(make([][]byte, 0, len(prev)+1), prev...), pki.EncodeCertPEM(cert.Raw))
	published.list.Store(&next)
	return &signing.Key{Priv: key, Serial: pki.SerialHex(cert.SerialNumber)}, nil
}

// rotated publishes a new current certificate ahead of the earlier ones.
func (s *signCerts) rotated(certPEM []byte) {
	prev := s.Get()
	next := make([][]byte, 0, len(prev)+1)
	next = append(append(next, certPEM), prev...)
	s.list.Store(&next)
}
