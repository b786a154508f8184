package steps

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The impostor records every request that reaches it, with whether it carried
// credentials, and nothing when the client refuses its certificate: self-signed (no
// chain to the client's roots) or chained but for another name.
func TestImpostorRecordsWhatReachesIt(t *testing.T) {
	t.Parallel()
	self, err := selfSignedServerCert()
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: impostorHost},
		DNSNames: []string{impostorHost}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	otherName := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	cases := []struct {
		name    string
		cert    tls.Certificate
		client  *tls.Config
		reached bool
	}{
		{"refused/self-signed, client trusting the CA", self, &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}, false},
		{"refused/chained for another name, client trusting the CA", otherName, &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}, false},
		{"reached/self-signed, client verifying nothing", self, &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}, true}, // #nosec G402 -- the careless client the impostor exists to catch
		{"reached/chained for another name, client naming that host", otherName, &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: impostorHost}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, err := startImpostor(c.cert)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = im.Close() }()
			client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: c.client}}
			req, _ := http.NewRequest("GET", im.URL+"/a2/v1/accounts?x=1", nil)
			req.Header.Set("Authorization", "JR0185-SM2-SM3 app_id=\"A\"")
			req.Header.Set("X-JR-Access-Token", "at_secret")
			resp, err := client.Do(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			got := im.Requests()
			if !c.reached {
				if err == nil || len(got) != 0 {
					t.Fatalf("err %v, arrived %v: want a refused handshake and nothing recorded", err, got)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].String() != "GET /a2/v1/accounts (Authorization: true, access token: true)" {
				t.Fatalf("err %v, arrived %v", err, got)
			}
			if strings.Contains(got[0].String(), "at_secret") {
				t.Fatal("the record holds the token itself")
			}
		})
	}
}
