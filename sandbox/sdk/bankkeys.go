package sdk

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
)

// BankSignCertsPath is where the bank publishes every signing certificate it still
// signs with or that still verifies (current first).
const BankSignCertsPath = "/pki/bank-sign-certs.pem"

// bankKeyRefreshInterval is the least time between two fetches of the bank's published
// signing certificates (whatever serial asked for them): a flood of forged serials
// cannot make the client hammer the bank, and a failed fetch is tried again once it
// has passed.
const bankKeyRefreshInterval = 30 * time.Second

// bankKey is one bank signing key and its certificate's validity (zero times: a key
// given as Config.BankKeys, whose certificate the client never saw).
type bankKey struct {
	pub                 *ecdsa.PublicKey
	notBefore, notAfter time.Time
}

// validAt reports whether the key's certificate is valid at t (both ends inclusive, as
// X.509 reads them). A bank key is used only within its certificate's validity: a
// retired key's certificate stays published for verifying history, but a fresh answer
// or notification under it is refused (JR/T 0185-2020 7.3.4/3, 9.3.3/1).
func (k bankKey) validAt(t time.Time) bool {
	return (k.notBefore.IsZero() || !t.Before(k.notBefore)) && (k.notAfter.IsZero() || !t.After(k.notAfter))
}

// bankKeys are the bank's response-signing keys by serial. Fetches of the published
// keys are single-flight (fetching holds the one token of fetchTok) and at most one per
// minInterval; nothing is recorded for a serial that stays unknown.
type bankKeys struct {
	mu   sync.Mutex
	keys map[string]bankKey

	fetchTok    chan struct{} // one token: held while a fetch runs
	lastFetch   time.Time     // when the last fetch started (guarded by fetchTok)
	minInterval time.Duration
}

func newBankKeys(m map[string]*ecdsa.PublicKey, certs map[string]bankKey) *bankKeys {
	k := &bankKeys{keys: map[string]bankKey{}, fetchTok: make(chan struct{}, 1), minInterval: bankKeyRefreshInterval}
	for s, p := range m {
		k.keys[s] = bankKey{pub: p}
	}
	for s, bk := range certs {
		k.keys[s] = bk
	}
	return k
}

func (k *bankKeys) lookup(serial string) *bankKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if bk, ok := k.keys[serial]; ok {
		return &bk
	}
	return nil
}

// verifyKey is the key an answer or notification under serial is verified with: known,
// or fetched (bankKey), and valid now. Otherwise an ErrIntegrity error.
func (c *Client) verifyKey(ctx context.Context, serial string) (*ecdsa.PublicKey, error) {
	k := c.bankKey(ctx, serial)
	if k == nil {
		return nil, fmt.Errorf("%w: unknown bank key serial %q", ErrIntegrity, serial)
	}
	if now := c.cfg.Now(); !k.validAt(now) {
		return nil, fmt.Errorf("%w: bank key %s: its certificate is not valid now (%s; valid %s to %s)", ErrIntegrity, serial,
			now.UTC().Format(time.RFC3339), k.notBefore.UTC().Format(time.RFC3339), k.notAfter.UTC().Format(time.RFC3339))
	}
	return k.pub, nil
}

// bankKey returns the key for serial, refreshing the published keys for a serial not
// known when Config.RefreshBankKeys is set (one fetch at a time, at most one per
// minInterval); nil when it stays unknown. A known serial is never fetched again: its
// certificate, valid or not, is the one the bank published under that serial.
func (c *Client) bankKey(ctx context.Context, serial string) *bankKey {
	if k := c.keys.lookup(serial); k != nil || !c.cfg.RefreshBankKeys {
		return k
	}
	select {
	case c.keys.fetchTok <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-c.keys.fetchTok }()
	// A fetch that ran while this call waited may have brought the key.
	if k := c.keys.lookup(serial); k != nil {
		return k
	}
	now := c.cfg.Now()
	if !c.keys.lastFetch.IsZero() && now.Sub(c.keys.lastFetch) < c.keys.minInterval {
		return nil
	}
	c.keys.lastFetch = now
	fetched, err := c.fetchBankKeys(ctx)
	if err != nil {
		return nil
	}
	c.keys.mu.Lock()
	for s, k := range fetched {
		if _, known := c.keys.keys[s]; !known { // what the client was configured with stays
			c.keys.keys[s] = k
		}
	}
	c.keys.mu.Unlock()
	return c.keys.lookup(serial)
}

// fetchBankKeys reads the bank's published signing certificates over the client's TLS
// connection (the bank's TLS certificate is verified against RootCAs: that is what
// makes the fetched keys trustworthy).
func (c *Client) fetchBankKeys(ctx context.Context) (map[string]bankKey, error) {
	start := c.cfg.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.cfg.BaseURL, "/")+BankSignCertsPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	var out *Response
	if err == nil {
		defer resp.Body.Close()
		var b []byte
		b, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		out = &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, RequestID: resp.Header.Get(protocol.HeaderRequestID)}
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("sdk: %s answered HTTP %d", BankSignCertsPath, resp.StatusCode)
		}
	}
	if c.cfg.Observe != nil {
		c.cfg.Observe(Call{Time: start, Method: http.MethodGet, PathWithQuery: BankSignCertsPath, Response: out, Err: err, Duration: c.cfg.Now().Sub(start)})
	}
	if err != nil {
		return nil, err
	}
	keys := parseSM2CertBundle(out.Body)
	if len(keys) == 0 {
		return nil, fmt.Errorf("sdk: %s holds no SM2 certificate", BankSignCertsPath)
	}
	return keys, nil
}

// VerifyNotification checks a notification the bank POSTed to the partner's URL: it is
// signed like a response (X-JR-Timestamp, X-JR-Nonce, X-JR-Signature over
// timestamp\nnonce\nbody\n, X-JR-Serial) with a bank key. A notification that fails
// is ErrIntegrity: answer it with an error status and do not act on it.
func (c *Client) VerifyNotification(ctx context.Context, header http.Header, body []byte) error {
	ts, nonce := header.Get(protocol.HeaderTimestamp), header.Get(protocol.HeaderNonce)
	sig, serial := header.Get(protocol.HeaderSignature), header.Get(protocol.HeaderSerial)
	if ts == "" || nonce == "" || sig == "" || serial == "" {
		return fmt.Errorf("%w: notification is not signed", ErrIntegrity)
	}
	pub, err := c.verifyKey(ctx, serial)
	if err != nil {
		return err
	}
	if !protocol.VerifySM2(pub, protocol.ResponseStringToSign(ts, nonce, body), sig) {
		return fmt.Errorf("%w: notification signature does not verify", ErrIntegrity)
	}
	return nil
}
