package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Verification errors; the errors returned by VerifyClientCert and
// VerifySM2Cert wrap exactly one of them, so the HTTP layer can map them to
// catalogue codes with errors.Is.
var (
	ErrCertExpired   = errors.New("pki: certificate expired or not yet valid")
	ErrCertUntrusted = errors.New("pki: certificate not issued by the sandbox CA")
	ErrCertUsage     = errors.New("pki: certificate not valid for this use")
	ErrNoAppID       = errors.New("pki: certificate not bound to an App_ID")
)

// VerifyClientCert checks a partner's mTLS client certificate at time now
// (zero: the bank's clock): it must chain to the TLS CA, be within its
// validity, allow clientAuth and not be a CA (JR/T 0185-2020 7.2.1 a) 2)).
// It does not check the App_ID binding: see AppIDFromClientCert.
func (b *Bank) VerifyClientCert(cert *x509.Certificate, now time.Time) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrCertUntrusted)
	}
	if cert.IsCA {
		return fmt.Errorf("%w: a CA certificate is not a client certificate", ErrCertUsage)
	}
	if now.IsZero() {
		now = b.Now()
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       b.TLSCAPool(),
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err == nil {
		return nil
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case x509.Expired:
			return fmt.Errorf("%w: %v", ErrCertExpired, err)
		case x509.IncompatibleUsage:
			return fmt.Errorf("%w: %v", ErrCertUsage, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrCertUntrusted, err)
}

// VerifySM2Cert checks an SM2 certificate at time now (zero: the bank's
// clock): it must hold an SM2 key, chain to the SM2 CA (SM2-with-SM3
// signatures, default distinguishing ID), be within its validity and not be
// a CA. Use CheckKeyUsage to tell signing from encryption certificates.
func (b *Bank) VerifySM2Cert(cert *smx509.Certificate, now time.Time) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrCertUntrusted)
	}
	if !IsSM2PublicKey(cert.PublicKey) {
		return fmt.Errorf("%w: key is %s, want SM2", ErrCertUsage, keyName(cert.PublicKey))
	}
	if cert.IsCA {
		return fmt.Errorf("%w: a CA certificate is not a key certificate", ErrCertUsage)
	}
	if now.IsZero() {
		now = b.Now()
	}
	_, err := cert.Verify(smx509.VerifyOptions{
		Roots:       b.SM2CAPool(),
		CurrentTime: now,
		KeyUsages:   []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err == nil {
		return nil
	}
	var invalid smx509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case smx509.Expired:
			return fmt.Errorf("%w: %v", ErrCertExpired, err)
		case smx509.IncompatibleUsage:
			return fmt.Errorf("%w: %v", ErrCertUsage, err)
		}
	}
	return fmt.Errorf("%w: %v", ErrCertUntrusted, err)
}

// CheckKeyUsage reports (as an error wrapping ErrCertUsage) whether an SM2
// certificate's KeyUsage does not allow usage. JR/T 0185-2020 7.3.4: a
// signing certificate is not an encryption certificate and vice versa.
func CheckKeyUsage(cert *smx509.Certificate, usage KeyUsage) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrCertUsage)
	}
	want, err := usage.bits()
	if err != nil {
		return err
	}
	var other smx509.KeyUsage
	switch usage {
	case KeyUsageSign:
		other, _ = KeyUsageEncrypt.bits()
	case KeyUsageEncrypt:
		other, _ = KeyUsageSign.bits()
	}
	if cert.KeyUsage&want == 0 || cert.KeyUsage&other != 0 {
		return fmt.Errorf("%w: key usage %#x is not %s-only", ErrCertUsage, int(cert.KeyUsage), usage)
	}
	return nil
}

// checkSM2 is what the loader requires of the bank's own SM2 certificates.
func (b *Bank) checkSM2(cert *smx509.Certificate, usage KeyUsage, now time.Time) error {
	if err := b.VerifySM2Cert(cert, now); err != nil {
		return err
	}
	return CheckKeyUsage(cert, usage)
}

// AppIDFromClientCert returns the App_ID a client certificate is bound to
// (JR/T 0185-2020 7.2.1 a) 2), 9.2.1 b) 2)): the one in its URI SAN
// "urn:jr0185:app:<App_ID>". If the certificate also has a Subject CN, the CN
// must equal that App_ID. A certificate without that URI SAN (one issued
// elsewhere and registered by the partner) falls back to its Subject CN when
// it is a valid App_ID. Any conflict is an error wrapping ErrNoAppID.
//
// Call VerifyClientCert (or match a registered certificate) first: this
// only reads the certificate.
func AppIDFromClientCert(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", ErrNoAppID
	}
	return appIDFrom(cert.URIs, cert.Subject.CommonName)
}

// AppIDFromSM2Cert is AppIDFromClientCert for a partner's SM2 certificate.
func AppIDFromSM2Cert(cert *smx509.Certificate) (string, error) {
	if cert == nil {
		return "", ErrNoAppID
	}
	return appIDFrom(cert.URIs, cert.Subject.CommonName)
}

func appIDFrom(uris []*url.URL, cn string) (string, error) {
	const nss = "jr0185:app:" // AppIDURIPrefix without "urn:"
	var id string
	for _, u := range uris {
		if u == nil || !strings.EqualFold(u.Scheme, "urn") || len(u.Opaque) < len(nss) ||
			!strings.EqualFold(u.Opaque[:len(nss)], nss) {
			continue
		}
		v := u.Opaque[len(nss):]
		if !ValidAppID(v) {
			return "", fmt.Errorf("%w: malformed App_ID URI %q", ErrNoAppID, u.String())
		}
		if id != "" && v != id {
			return "", fmt.Errorf("%w: two App_ID URIs (%q, %q)", ErrNoAppID, id, v)
		}
		id = v
	}
	switch {
	case id != "" && cn != "" && cn != id:
		return "", fmt.Errorf("%w: Subject CN %q differs from the App_ID URI %q", ErrNoAppID, cn, id)
	case id != "":
		return id, nil
	case ValidAppID(cn):
		return cn, nil
	}
	return "", fmt.Errorf("%w: no %s URI SAN and no App_ID in the Subject CN", ErrNoAppID, AppIDURIPrefix+"<App_ID>")
}
