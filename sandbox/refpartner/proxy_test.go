package refpartner_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// tproxy is a proxy between a partner and the bank, with a server certificate from the
// sandbox CA (so the partner's TLS verification passes) and its own client
// certificate towards the bank (register clientPEM for the partner's app and A2
// calls pass through it too). It spoils the bank's answers to A1 calls — "tamper"
// changes a digit of the body after signing, "strip" removes the signature headers —
// and records the Idempotency-Key of every payment request ("record"). As an impostor
// it passes everything through but presents a certificate the partner must refuse: a
// self-signed one ("impostor-self") or one from the sandbox CA for impostor.test
// ("impostor-name").
type tproxy struct {
	url       string
	clientPEM string
	mu        sync.Mutex
	keys      []string
}

func (p *tproxy) idempotencyKeys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.keys...)
}

func (w *world) proxy(mode string) *tproxy {
	t := w.t
	t.Helper()
	p := &tproxy{}
	ckey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "proxy client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cder, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ckey.PublicKey, ckey)
	if err != nil {
		t.Fatal(err)
	}
	p.clientPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cder}))
	base := w.https.Transport.(*http.Transport).TLSClientConfig
	upstream := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12,
		RootCAs: base.RootCAs, Certificates: []tls.Certificate{{Certificate: [][]byte{cder}, PrivateKey: ckey}}}}}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "tampering proxy"}}, key)
	req := map[string]any{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))}
	if mode == "impostor-name" {
		req["hosts"] = []string{"impostor.test"}
	}
	_, out := w.admin("POST", "/admin/v1/pki/test-server-certs", req, 201)
	certPEM, _ := out["certificate"].(string)
	if mode == "impostor-self" {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "impostor"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		self, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: self}))
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	pair, err := tls.X509KeyPair([]byte(certPEM), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, w.b.URL+r.URL.RequestURI(), strings.NewReader(string(body)))
		req.Header = r.Header.Clone()
		if k := r.Header.Get("Idempotency-Key"); k != "" && mode == "record" {
			p.mu.Lock()
			p.keys = append(p.keys, k)
			p.mu.Unlock()
		}
		resp, err := upstream.Do(req)
		if err != nil {
			rw.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		spoil := strings.HasPrefix(r.URL.Path, "/a1/")
		for k, v := range resp.Header {
			if spoil && mode == "strip" && strings.HasPrefix(strings.ToLower(k), "x-jr-") && k != "X-Jr-U-Api-Id" {
				continue
			}
			rw.Header()[k] = v
		}
		if spoil && mode == "tamper" {
			for i, c := range b {
				if c >= '0' && c <= '9' {
					b[i] = '0' + (c-'0'+1)%10
					break
				}
			}
		}
		rw.Header().Del("Content-Length")
		rw.WriteHeader(resp.StatusCode)
		_, _ = rw.Write(b)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}
