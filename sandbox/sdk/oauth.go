package sdk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/protocol"
)

// HeaderAccessToken carries the user's access token on A2 calls.
const HeaderAccessToken = "X-JR-Access-Token" // #nosec G101 -- a header name, not a credential

// AuthRequest describes what the partner asks the user to consent to.
type AuthRequest struct {
	RedirectURI string
	Scopes      []string
	State       string // random if empty
	ConsentType string // "account_info" (default) or "payment"
	ValidDays   int    // account_info
	// Payment consents.
	Amount, Currency, PayeeAccount, PayeeName, DebitAccount string
}

// Authorization is a started authorization: send the user to URL, keep Verifier and
// State to finish it.
type Authorization struct {
	URL      string
	Verifier string
	State    string
}

// AuthorizationURL builds the bank's consent URL with PKCE S256 (RFC 7636). The user
// logs in and consents at the bank, never at the partner (JR/T 0185-2020 9.3.1/1).
func (c *Client) AuthorizationURL(r AuthRequest) (Authorization, error) {
	if r.RedirectURI == "" || len(r.Scopes) == 0 {
		return Authorization{}, errors.New("sdk: RedirectURI and Scopes are required")
	}
	verifier := randomToken(32)
	sum := sha256.Sum256([]byte(verifier))
	state := r.State
	if state == "" {
		state = randomToken(16)
	}
	kind := r.ConsentType
	if kind == "" {
		kind = "account_info"
	}
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.cfg.AppID}, "redirect_uri": {r.RedirectURI},
		"scope": {strings.Join(r.Scopes, " ")}, "state": {state}, "consent_type": {kind},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	if r.ValidDays > 0 {
		q.Set("valid_days", fmt.Sprint(r.ValidDays))
	}
	for k, v := range map[string]string{"amount": r.Amount, "currency": r.Currency, "payee_account": r.PayeeAccount,
		"payee_name": r.PayeeName, "debit_account": r.DebitAccount} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return Authorization{URL: strings.TrimRight(c.cfg.BaseURL, "/") + "/oauth/authorize?" + q.Encode(), Verifier: verifier, State: state}, nil
}

// Token is a user's token set.
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Scope        string    `json:"scope"`
	ConsentID    string    `json:"consent_id"`
	Expiry       time.Time `json:"-"`
}

// APIError is a catalogued error answer from the bank.
type APIError struct {
	Status    int
	Code      string `json:"code"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Clause    string `json:"clause"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("bank answered %d %s: %s (request %s)", e.Status, e.Code, e.Detail, e.RequestID)
}

// AsAPIError decodes a non-2xx verified response into an *APIError.
func AsAPIError(r *Response) error {
	if r.Status < 400 {
		return nil
	}
	e := &APIError{Status: r.Status}
	_ = json.Unmarshal(r.Body, e)
	return e
}

// ExchangeCode finishes an authorization: the code from the redirect, the verifier
// kept from AuthorizationURL. The call is an A2 call (mutual TLS + SM2 signature), so
// the token is bound to this client's certificate.
func (c *Client) ExchangeCode(ctx context.Context, code, verifier, redirectURI string) (*Token, error) {
	return c.tokenCall(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {redirectURI}})
}

// Refresh exchanges a refresh token for a new token set (the old refresh token is
// rotated out; reusing it revokes the grant).
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	return c.tokenCall(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// Revoke revokes an access or refresh token.
func (c *Client) Revoke(ctx context.Context, token string) error {
	r, err := c.Do(ctx, "POST", "/a2/v1/oauth/revoke", []byte(url.Values{"token": {token}}.Encode()), formHeader())
	if err != nil {
		return err
	}
	return AsAPIError(r)
}

func (c *Client) tokenCall(ctx context.Context, v url.Values) (*Token, error) {
	r, err := c.Do(ctx, "POST", "/a2/v1/oauth/token", []byte(v.Encode()), formHeader())
	if err != nil {
		return nil, err
	}
	if err := AsAPIError(r); err != nil {
		return nil, err
	}
	var t Token
	if err := json.Unmarshal(r.Body, &t); err != nil {
		return nil, fmt.Errorf("sdk: token response: %w", err)
	}
	t.Expiry = c.cfg.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return &t, nil
}

func formHeader() http.Header {
	return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
}

// UserSession is a client acting for one user: it sends the access token with every
// call and refreshes it shortly before it expires.
type UserSession struct {
	c   *Client
	mu  sync.Mutex
	tok *Token
}

// ForUser returns a session for a user's token set.
func (c *Client) ForUser(t *Token) *UserSession { return &UserSession{c: c, tok: t} }

// Token returns the current token set.
func (u *UserSession) Token() *Token {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.tok
}

// Do calls an A2 API for the user.
func (u *UserSession) Do(ctx context.Context, method, pathWithQuery string, body []byte, header http.Header) (*Response, error) {
	return u.c.Do(ctx, method, pathWithQuery, body, u.withToken(ctx, header))
}

// NewRequest is Client.NewRequest for the user: a signed request carrying the user's
// access token (refreshed first when it is about to expire).
func (u *UserSession) NewRequest(ctx context.Context, method, pathWithQuery string, body []byte, header http.Header) (*http.Request, error) {
	return u.c.NewRequest(ctx, method, pathWithQuery, body, u.withToken(ctx, header))
}

// withToken returns a copy of header with the user's access token, refreshing the
// token set first when it is about to expire.
func (u *UserSession) withToken(ctx context.Context, header http.Header) http.Header {
	u.mu.Lock()
	if u.tok.RefreshToken != "" && u.c.cfg.Now().After(u.tok.Expiry.Add(-30*time.Second)) {
		if t, err := u.c.Refresh(ctx, u.tok.RefreshToken); err == nil {
			u.tok = t
		}
	}
	access := u.tok.AccessToken
	u.mu.Unlock()
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	h.Set(HeaderAccessToken, access)
	return h
}

// OpenEnvelope decrypts a field or payload the bank encrypted to this partner's SM2
// encryption key (JR/T 0185-2020 7.2.2).
func OpenEnvelope(encKey *sm2.PrivateKey, raw json.RawMessage, aad string) ([]byte, error) {
	e, err := protocol.ParseEnvelope(raw)
	if err != nil {
		return nil, err
	}
	return protocol.Open(encKey, e, []byte(aad))
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
