package sdk

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jr0185/harness/sandbox/protocol"
)

// rotatingBank signs its answers with a key whose serial the client was not given at
// configuration, and publishes its certificates at /pki/bank-sign-certs.pem.
type rotatingBank struct {
	key       *sm2.PrivateKey
	serial    string
	certsPEM  []byte
	fetches   atomic.Int64
	serialFor func() string // serial put on answers (default: serial)
	failFetch atomic.Int64  // fetches still to answer 503
	fetchGate chan struct{} // when set, a fetch waits for it to close
	mu        sync.Mutex
	nonces    []string
}

func newRotatingBank(t *testing.T) *rotatingBank {
	t.Helper()
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sn := big.NewInt(0x2a2b)
	tmpl := &smx509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: "bank signing 2"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &rotatingBank{key: key, serial: protocol.SerialHex(sn), certsPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (b *rotatingBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == BankSignCertsPath {
		b.fetches.Add(1)
		if b.fetchGate != nil {
			<-b.fetchGate
		}
		if b.failFetch.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(b.certsPEM)
		return
	}
	cr, _ := protocol.ParseAuthorization(r.Header.Get("Authorization"))
	b.mu.Lock()
	b.nonces = append(b.nonces, cr.Nonce)
	b.mu.Unlock()
	body := []byte(`{"ok":true}`)
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	sig, _ := protocol.SignSM2(b.key, protocol.ResponseStringToSign(ts, nonce, body))
	serial := b.serial
	if b.serialFor != nil {
		serial = b.serialFor()
	}
	w.Header().Set(protocol.HeaderTimestamp, ts)
	w.Header().Set(protocol.HeaderNonce, nonce)
	w.Header().Set(protocol.HeaderSignature, sig)
	w.Header().Set(protocol.HeaderSerial, serial)
	_, _ = w.Write(body)
}

// signedHeader signs body as a notification with the bank's key, naming serial.
func (b *rotatingBank) signedHeader(body []byte, serial string) http.Header {
	ts, nonce := protocol.Timestamp(time.Now()), protocol.NewNonce()
	sig, _ := protocol.SignSM2(b.key, protocol.ResponseStringToSign(ts, nonce, body))
	h := http.Header{}
	h.Set(protocol.HeaderTimestamp, ts)
	h.Set(protocol.HeaderNonce, nonce)
	h.Set(protocol.HeaderSignature, sig)
	h.Set(protocol.HeaderSerial, serial)
	return h
}

func rotatingClient(t *testing.T, b *rotatingBank, refresh bool, mutate func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(b)
	t.Cleanup(srv.Close)
	old, _ := sm2.GenerateKey(rand.Reader)
	signKey, _ := sm2.GenerateKey(rand.Reader)
	cfg := Config{BaseURL: srv.URL, AppID: "APPTEST", SignKey: signKey, SignSerial: "1", HTTPClient: srv.Client(),
		BankKeys: map[string]*ecdsa.PublicKey{"01": &old.PublicKey}, RefreshBankKeys: refresh,
		Resilience: Resilience{MaxAttempts: 1}}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBankKeyRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		refresh     bool
		serial      string // "" = the rotated key's published serial
		wantErr     bool
		wantFetches int64
	}{
		{"verified/after fetching the published certificates once", true, "", false, 1},
		{"integrity failure/without RefreshBankKeys, no fetch", false, "", true, 0},
		{"integrity failure/serial still unknown after one fetch", true, "dead", true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newRotatingBank(t)
			if tc.serial != "" {
				b.serialFor = func() string { return tc.serial }
			}
			c := rotatingClient(t, b, tc.refresh, nil)
			for i := 0; i < 3; i++ { // later calls never fetch again
				_, err := c.Do(context.Background(), "GET", "/a2/v1/accounts", nil, nil)
				if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrIntegrity)) {
					t.Fatalf("call %d: err %v, want error %v", i, err, tc.wantErr)
				}
			}
			if got := b.fetches.Load(); got != tc.wantFetches {
				t.Fatalf("%d fetches of %s, want %d", got, BankSignCertsPath, tc.wantFetches)
			}
		})
	}
}

// A failed fetch is not remembered against the serial: once the interval has passed,
// the next call fetches again and finds the rotated key.
func TestBankKeyRefreshAfterFailedFetch(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	b.failFetch.Store(1)
	var mu sync.Mutex
	now := time.Now()
	c := rotatingClient(t, b, true, func(cfg *Config) {
		cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	c.keys.minInterval = time.Minute
	body := []byte(`{"event":"payment.status"}`)
	if err := c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("fetch answered 503: err %v, want ErrIntegrity", err)
	}
	// Within the interval: no second fetch.
	if err := c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("within the interval: err %v, want ErrIntegrity", err)
	}
	if got := b.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches within the interval, want 1", got)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if err := c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); err != nil {
		t.Fatalf("after the interval: %v", err)
	}
	if got := b.fetches.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2", got)
	}
}

// Calls arriving while the first fetch for a new serial runs wait for it and succeed:
// one fetch for all of them.
func TestBankKeyRefreshConcurrent(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	b.fetchGate = make(chan struct{})
	c := rotatingClient(t, b, true, nil)
	body := []byte(`{"event":"payment.status"}`)
	const n = 8
	errs := make(chan error, n)
	verify := func() { errs <- c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body) }
	go verify()
	for b.fetches.Load() == 0 { // the first call's fetch is running
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < n; i++ {
		go verify()
	}
	time.Sleep(50 * time.Millisecond) // the others arrive while the fetch is held
	close(b.fetchGate)
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got := b.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches, want 1", got)
	}
}

// With RefreshBankKeys off nothing is recorded for an unknown serial: turned on later,
// the client fetches for it.
func TestBankKeyRefreshOffRecordsNothing(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	c := rotatingClient(t, b, false, nil)
	body := []byte(`{"event":"payment.status"}`)
	for i := 0; i < 3; i++ {
		if err := c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("refresh off: err %v, want ErrIntegrity", err)
		}
	}
	if got := b.fetches.Load(); got != 0 {
		t.Fatalf("refresh off: %d fetches", got)
	}
	c.cfg.RefreshBankKeys = true
	if err := c.VerifyNotification(context.Background(), b.signedHeader(body, b.serial), body); err != nil {
		t.Fatalf("refresh on: %v", err)
	}
	if got := b.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches, want 1", got)
	}
}

func TestVerifyNotification(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	c := rotatingClient(t, b, true, nil)
	body := []byte(`{"event":"payment.status","payment":{"payment_id":"pay_1","status":"succeeded"}}`)
	signed := func(body []byte, serial string) http.Header { return b.signedHeader(body, serial) }
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		ok     bool
	}{
		{"accepted/signed by the bank's published key", signed(body, b.serial), body, true},
		{"refused/body changed after signing", signed(body, b.serial), []byte(`{"payment":{"payment_id":"pay_2"}}`), false},
		{"refused/unsigned", http.Header{}, body, false},
		{"refused/unknown serial", signed(body, "beef"), body, false},
	}
	for _, tc := range tests {
		err := c.VerifyNotification(context.Background(), tc.header, tc.body)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrIntegrity)) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
}

func TestHooks(t *testing.T) {
	t.Parallel()
	b := newRotatingBank(t)
	var calls []Call
	var mu sync.Mutex
	n := 0
	c := rotatingClient(t, b, true, func(cfg *Config) {
		cfg.Nonce = func() string { n++; return "fixed-nonce-" + string(rune('a'+n)) }
		cfg.Authorize = func(method, path string, body []byte, ts, nonce string) (string, error) {
			return protocol.Credentials{Scheme: protocol.SchemeHMAC, AppID: "APPTEST", Serial: "9", Timestamp: ts, Nonce: nonce, Signature: "c2ln"}.String(), nil
		}
		cfg.Observe = func(call Call) { mu.Lock(); calls = append(calls, call); mu.Unlock() }
	})
	if _, err := c.Do(context.Background(), "GET", "/a2/v1/accounts?x=1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(b.nonces) != 1 || b.nonces[0] != "fixed-nonce-b" {
		t.Fatalf("nonces %v: Config.Nonce was not used", b.nonces)
	}
	mu.Lock()
	defer mu.Unlock()
	// One key fetch (observed with the attempt) and the attempt itself.
	if len(calls) != 2 || calls[0].PathWithQuery != BankSignCertsPath || calls[1].PathWithQuery != "/a2/v1/accounts?x=1" || calls[1].Response == nil || calls[1].Response.Status != 200 {
		t.Fatalf("observed %+v", calls)
	}
}
