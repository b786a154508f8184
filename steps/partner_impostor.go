package steps

// An impostor bank (JR/T 0185-2020 9.2.2/3: 应采用SSL/TLS等安全通道连接进行通信): a TLS
// listener on 127.0.0.1 run by the harness with a certificate the partner must refuse —
// self-signed, or issued by the sandbox TLS CA for another name. The partner is
// configured again with the impostor's address as the bank's and asked for an A1 and an
// A2 action; it fails if any HTTP request reached the impostor (each is recorded: method,
// path, whether it carried an Authorization header or an access token). Whatever
// happened, an After hook configures the partner back to the real bank.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/jr0185/harness/steps/driver"
)

// impostorHost is the name the sandbox CA certifies for the impostor that chains but
// names another host (RFC 6761 reserves .test).
const impostorHost = "impostor.test"

// impostorRequest is one HTTP request that reached the impostor.
type impostorRequest struct {
	Method, Path               string
	Authorization, AccessToken bool
}

func (r impostorRequest) String() string {
	return fmt.Sprintf("%s %s (Authorization: %v, access token: %v)", r.Method, r.Path, r.Authorization, r.AccessToken)
}

// impostor is a TLS server on 127.0.0.1 that records every request it is sent and
// answers each with an unsigned 200 a careless partner might show.
type impostor struct {
	URL  string
	srv  *http.Server
	mu   sync.Mutex
	seen []impostorRequest
}

// startImpostor serves TLS with cert on a free port of 127.0.0.1.
func startImpostor(cert tls.Certificate) (*impostor, error) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	im := &impostor{URL: "https://" + ln.Addr().String()}
	im.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		im.mu.Lock()
		im.seen = append(im.seen, impostorRequest{Method: r.Method, Path: r.URL.Path,
			Authorization: r.Header.Get("Authorization") != "", AccessToken: r.Header.Get("X-JR-Access-Token") != ""})
		im.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"items":[],"accounts":[],"available":"999999.99","currency":"CNY"}`))
	})}
	go func() { _ = im.srv.Serve(ln) }()
	return im, nil
}

// Requests returns what reached the impostor so far.
func (im *impostor) Requests() []impostorRequest {
	im.mu.Lock()
	defer im.mu.Unlock()
	return append([]impostorRequest(nil), im.seen...)
}

// Close stops the impostor.
func (im *impostor) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return im.srv.Shutdown(ctx)
}

// selfSignedServerCert is a P-256 server certificate for 127.0.0.1 and localhost that
// no CA issued.
func selfSignedServerCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "JR0185 Sandbox Bank"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// caIssuedServerCert asks the sandbox (test control) to issue a server certificate
// from its TLS CA for hosts — names that are not the bank's.
func (e *Env) caIssuedServerCert(ctx context.Context, hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: hosts[0]}}, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	out, err := e.adminOK(ctx, "POST", "/admin/v1/pki/test-server-certs",
		map[string]any{"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})), "hosts": hosts}, 201)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM, _ := out["certificate"].(string)
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return tls.Certificate{}, errors.New("the sandbox issued no PEM certificate")
	}
	return tls.Certificate{Certificate: [][]byte{block.Bytes}, PrivateKey: key}, nil
}

// impostorState is one scenario's impostor.
type impostorState struct {
	im      *impostor
	kind    string
	answers int // the partner's answers before it was pointed at the impostor
}

func ist(w *World) *impostorState {
	return areaState(w, func() *impostorState { return &impostorState{} })
}

func registerPartnerImpostor(sc *godog.ScenarioContext) {
	sc.Step(`^an impostor bank on 127\.0\.0\.1 with (a self-signed certificate|a certificate from the sandbox CA for another name)$`, startImpostorStep)
	sc.Step(`^the partner is configured again with the impostor's address as the bank's$`, pointAtImpostor)
	sc.Step(`^the partner showed nothing the impostor sent$`, impostorShowedNothing)
	sc.Step(`^no request reached the impostor$`, impostorReachedByNone)
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		w, ok := ctx.Value(worldKey{}).(*World)
		if !ok {
			return ctx, err
		}
		s := ist(w)
		if s.im == nil {
			return ctx, err
		}
		_ = s.im.Close()
		s.im = nil
		// Back to the real bank whatever happened: later scenarios are unaffected.
		if rerr := w.Env.reconfigure(ctx); rerr != nil && err == nil {
			return ctx, fmt.Errorf("configuring the partner back to the real bank: %w", rerr)
		}
		return ctx, err
	})
}

func startImpostorStep(ctx context.Context, kind string) error {
	w := W(ctx)
	var cert tls.Certificate
	var err error
	if strings.HasPrefix(kind, "a self-signed") {
		cert, err = selfSignedServerCert()
	} else {
		cert, err = w.Env.caIssuedServerCert(ctx, []string{impostorHost})
	}
	if err != nil {
		return fmt.Errorf("the impostor's certificate: %w", err)
	}
	im, err := startImpostor(cert)
	if err != nil {
		return err
	}
	s := ist(w)
	s.im, s.kind = im, kind
	w.Note("impostor bank at %s with %s", im.URL, kind)
	return nil
}

// pointAtImpostor configures the partner again, as onboarded, except for bank_url.
func pointAtImpostor(ctx context.Context) error {
	w := W(ctx)
	s := ist(w)
	if s.im == nil {
		return errors.New("no impostor is running")
	}
	p := &w.Env.partner
	cp := p.conf
	cp.BankURL = s.im.URL
	p.away = true // reconfigure (the After hook) puts the real bank back
	if err := w.Env.Partner.Do(ctx, driver.Configure, cp, nil); err != nil {
		return fmt.Errorf("configure with the impostor's address: %w", err)
	}
	s.answers = len(pst(w).answers)
	return nil
}

// impostorShowedNothing: every action after the partner was pointed at the impostor
// was refused (whatever the code): nothing the impostor sent was shown.
func impostorShowedNothing(ctx context.Context) error {
	w := W(ctx)
	all := pst(w).answers[ist(w).answers:]
	if len(all) == 0 {
		return errors.New("the partner was asked nothing after it was pointed at the impostor")
	}
	for _, a := range all {
		if a.Err == nil {
			return fmt.Errorf("the partner answered %s with data from a server that is not the bank (%s) — JR/T 0185-2020 9.2.2/3", a.Action, ist(w).kind)
		}
	}
	return nil
}

// impostorReachedByNone: no HTTP request reached the impostor.
func impostorReachedByNone(ctx context.Context) error {
	s := ist(W(ctx))
	if s.im == nil {
		return errors.New("no impostor is running")
	}
	if got := s.im.Requests(); len(got) > 0 {
		lines := make([]string, len(got))
		for i, r := range got {
			lines[i] = r.String()
		}
		return fmt.Errorf("the partner sent %d request(s) to a server with %s, which is not the bank (JR/T 0185-2020 9.2.2/3: verify the bank's certificate and host before sending anything):\n  %s",
			len(got), s.kind, strings.Join(lines, "\n  "))
	}
	return nil
}
