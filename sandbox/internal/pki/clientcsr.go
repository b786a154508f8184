package pki

import "fmt"

// CSRInfo is what CheckClientCSR learned from a partner's certificate request.
type CSRInfo struct {
	CommonName   string // as requested; the bank replaces it with the App_ID
	Organization string // kept in the certificate's Subject O
}

// CheckClientCSR checks a partner's request for an mTLS client certificate before
// anything is registered: one PEM "CERTIFICATE REQUEST" (or DER) of at most MaxCSRSize
// bytes, an ECDSA P-256 key (SM2 keys are registered as SM2 public keys instead), a
// signature that verifies with that key (proof of possession), and a Subject CN and O
// of printable UTF-8 of at most 64 characters. SignCSR later issues the certificate
// bound to the App_ID (Subject CN and URI SAN), whatever CN was requested. Errors wrap
// ErrBadCSR and never panic on any input.
func CheckClientCSR(csrPEM []byte) (CSRInfo, error) {
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return CSRInfo{}, err
	}
	if _, ok := p256PublicKey(csr.PublicKey); !ok {
		return CSRInfo{}, fmt.Errorf("%w: key is %s; an mTLS client certificate needs an ECDSA P-256 key", ErrBadCSR, keyName(csr.PublicKey))
	}
	info := CSRInfo{CommonName: csr.Subject.CommonName}
	if err := checkName("common name", info.CommonName); err != nil {
		return CSRInfo{}, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if len(csr.Subject.Organization) > 0 {
		info.Organization = csr.Subject.Organization[0]
		if err := checkOrg(info.Organization); err != nil {
			return CSRInfo{}, fmt.Errorf("%w: %v", ErrBadCSR, err)
		}
	}
	return info, nil
}
