package pki

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// A Go crypto/tls client trusting TLSCAPool handshakes with a server using
// ServerTLSCertificate, presenting a certificate from IssueClientCert; the
// server side then verifies the peer certificate and reads its App_ID
// (JR/T 0185-2020 7.2.1 a) 2)).
func TestMutualTLSHandshake(t *testing.T) {
	t.Parallel()
	b := newBank(t, Options{})
	key := mustP256(t)
	clientCert, _, err := b.IssueClientCert("app-tls", "Partner", &key.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		serverName string
		version    uint16
	}{
		{"tls1.2/by IP", "127.0.0.1", tls.VersionTLS12},
		{"tls1.3/by IP", "127.0.0.1", tls.VersionTLS13},
		{"tls1.3/by name", "localhost", tls.VersionTLS13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
				MinVersion:   tls.VersionTLS12,
				Certificates: []tls.Certificate{b.ServerTLSCertificate()},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    b.TLSCAPool(),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			type result struct {
				appID   string
				version uint16
				err     error
			}
			done := make(chan result, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					done <- result{err: err}
					return
				}
				defer conn.Close()
				tc := conn.(*tls.Conn)
				if err := tc.Handshake(); err != nil {
					done <- result{err: err}
					return
				}
				st := tc.ConnectionState()
				peer := st.PeerCertificates[0]
				if err := b.VerifyClientCert(peer, time.Time{}); err != nil {
					done <- result{err: err}
					return
				}
				id, err := AppIDFromClientCert(peer)
				_, _ = tc.Write([]byte{1})
				done <- result{appID: id, version: st.Version, err: err}
			}()

			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
				ServerName:   tt.serverName,
				RootCAs:      b.TLSCAPool(),
				MinVersion:   tt.version,
				MaxVersion:   tt.version,
				Certificates: []tls.Certificate{{Certificate: [][]byte{clientCert.Raw}, PrivateKey: key, Leaf: clientCert}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.appID != "app-tls" || r.version != tt.version {
				t.Errorf("App_ID %q version %x, want app-tls %x", r.appID, r.version, tt.version)
			}
		})
	}
}

func TestVerifyClientCert(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newBank(t, Options{})
	// A bank whose clock is two years back issues certificates that are
	// expired today.
	past := newBank(t, Options{Now: fixedClock(now.Add(-2 * A2KeyValidity))})
	other := newBank(t, Options{})
	key := mustP256(t)
	issue := func(by *Bank, validity time.Duration) *x509.Certificate {
		c, _, err := by.IssueClientCert("app-v", "", &key.PublicKey, validity)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	valid := issue(b, time.Hour)
	expiredCert := issue(past, A2KeyValidity) // expired a year ago

	tests := []struct {
		name string
		cert *x509.Certificate
		by   *Bank
		at   time.Time
		want error
	}{
		{name: "ok/fresh certificate", cert: valid, by: b},
		{name: "ok/zero time uses the bank clock", cert: valid, by: b, at: time.Time{}},
		{name: "expired/after NotAfter", cert: valid, by: b, at: now.Add(2 * time.Hour), want: ErrCertExpired},
		{name: "expired/issued with a clock in the past", cert: expiredCert, by: past, at: now, want: ErrCertExpired},
		{name: "expired/not yet valid", cert: valid, by: b, at: now.Add(-time.Hour), want: ErrCertExpired},
		{name: "untrusted/other CA", cert: issue(other, 0), by: b, want: ErrCertUntrusted},
		{name: "usage/server certificate", cert: b.ServerCert, by: b, want: ErrCertUsage},
		{name: "usage/CA certificate", cert: b.TLSCA, by: b, want: ErrCertUsage},
		{name: "untrusted/nil", cert: nil, by: b, want: ErrCertUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.by.VerifyClientCert(tt.cert, tt.at)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifySM2Cert(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newBank(t, Options{})
	past := newBank(t, Options{Now: fixedClock(now.Add(-2 * A2KeyValidity))})
	other := newBank(t, Options{})
	key := mustSM2(t)
	issue := func(by *Bank, validity time.Duration) *smx509.Certificate {
		c, _, err := by.IssueSM2Cert("app-s", &key.PublicKey, KeyUsageSign, validity)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	valid := issue(b, time.Hour)
	tests := []struct {
		name string
		cert *smx509.Certificate
		by   *Bank
		at   time.Time
		want error
	}{
		{name: "ok/fresh certificate", cert: valid, by: b},
		{name: "ok/bank signing certificate", cert: b.SignCert, by: b},
		{name: "ok/bank encryption certificate", cert: b.EncCert, by: b},
		{name: "expired/after NotAfter", cert: valid, by: b, at: now.Add(2 * time.Hour), want: ErrCertExpired},
		{name: "expired/issued with a clock in the past", cert: issue(past, A2KeyValidity), by: past, at: now, want: ErrCertExpired},
		{name: "untrusted/other CA", cert: issue(other, 0), by: b, want: ErrCertUntrusted},
		{name: "untrusted/other bank's signing certificate", cert: other.SignCert, by: b, want: ErrCertUntrusted},
		{name: "usage/CA certificate", cert: b.SM2CA, by: b, want: ErrCertUsage},
		{name: "untrusted/nil", cert: nil, by: b, want: ErrCertUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.by.VerifySM2Cert(tt.cert, tt.at)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAppIDFromClientCert(t *testing.T) {
	t.Parallel()
	uri := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name    string
		cn      string
		uris    []*url.URL
		want    string
		wantErr bool
	}{
		{name: "ok/URI and equal CN", cn: "app-1", uris: []*url.URL{AppIDURI("app-1")}, want: "app-1"},
		{name: "ok/URI without CN", uris: []*url.URL{uri("urn:jr0185:app:app-1")}, want: "app-1"},
		{name: "ok/URI among others", cn: "app-1", uris: []*url.URL{uri("https://partner.example"), uri("urn:jr0185:app:app-1")}, want: "app-1"},
		{name: "ok/URN matched case-insensitively", cn: "app-1", uris: []*url.URL{uri("URN:JR0185:APP:app-1")}, want: "app-1"},
		{name: "ok/same URI twice", uris: []*url.URL{AppIDURI("app-1"), AppIDURI("app-1")}, want: "app-1"},
		{name: "ok/no URI falls back to CN", cn: "app-1", want: "app-1"},
		{name: "error/CN differs from URI", cn: "app-2", uris: []*url.URL{AppIDURI("app-1")}, wantErr: true},
		{name: "error/two App_IDs", uris: []*url.URL{AppIDURI("app-1"), AppIDURI("app-2")}, wantErr: true},
		{name: "error/malformed App_ID in URI", uris: []*url.URL{uri("urn:jr0185:app:a%20b")}, wantErr: true},
		{name: "error/empty App_ID in URI", cn: "app-1", uris: []*url.URL{uri("urn:jr0185:app:")}, wantErr: true},
		{name: "error/no URI and CN not an App_ID", cn: "Partner Ltd"},
		{name: "error/nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.want == "" {
				tt.wantErr = true
			}
			cert := &x509.Certificate{Subject: pkix.Name{CommonName: tt.cn}, URIs: tt.uris}
			got, err := AppIDFromClientCert(cert)
			if tt.wantErr {
				if !errors.Is(err, ErrNoAppID) {
					t.Fatalf("got %q, %v; want ErrNoAppID", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := AppIDFromClientCert(nil); !errors.Is(err, ErrNoAppID) {
		t.Errorf("nil certificate: %v", err)
	}
}
