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

// bankKeys are the bank's response-signing keys by serial. Fetches of the published
// keys are single-flight (fetching holds the one token of fetchTok) and at most one per
// minInterval; nothing is recorded for a serial that stays unknown.
type bankKeys struct {
	mu   sync.Mutex
	keys map[string]*ecdsa.PublicKey

	fetchTok    chan struct{} // one token: held while a fetch runs
	lastFetch   time.Time     // when the last fetch started (guarded by fetchTok)
	minInterval time.Duration
}

func newBankKeys(m map[string]*ecdsa.PublicKey) *bankKeys {
	k := &bankKeys{keys: map[string]*ecdsa.PublicKey{}, fetchTok: make(chan struct{}, 1), minInterval: bankKeyRefreshInterval}
	for s, p := range m {
		k.keys[s] = p
	}
	return k
}

func (k *bankKeys) lookup(serial string) *ecdsa.PublicKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[serial]
}

// bankKey returns the key for serial, refreshing the published keys for a serial not
// known when Config.RefreshBankKeys is set (one fetch at a time, at most one per
// minInterval); nil when it stays unknown.
func (c *Client) bankKey(ctx context.Context, serial string) *ecdsa.PublicKey {
	if pub := c.keys.lookup(serial); pub != nil || !c.cfg.RefreshBankKeys {
		return pub
	}
	select {
	case c.keys.fetchTok <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-c.keys.fetchTok }()
	// A fetch that ran while this call waited may have brought the key.
	if pub := c.keys.lookup(serial); pub != nil {
		return pub
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
	defer c.keys.mu.Unlock()
	for s, p := range fetched {
		c.keys.keys[s] = p
	}
	return c.keys.keys[serial]
}

// fetchBankKeys reads the bank's published signing certificates over the client's TLS
// connection (the bank's TLS certificate is verified against RootCAs: that is what
// makes the fetched keys trustworthy).
func (c *Client) fetchBankKeys(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
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
	pub := c.bankKey(ctx, serial)
	if pub == nil {
		return fmt.Errorf("%w: unknown bank key serial %q", ErrIntegrity, serial)
	}
	if !protocol.VerifySM2(pub, protocol.ResponseStringToSign(ts, nonce, body), sig) {
		return fmt.Errorf("%w: notification signature does not verify", ErrIntegrity)
	}
	return nil
}
