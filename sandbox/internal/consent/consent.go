// Package consent is the bank's side of OAuth 2.0 for A2 APIs: authorization requests
// with PKCE, the customer's explicit consent, authorization codes, access and refresh
// tokens, and their revocation (JR/T 0185-2020 7.2.1 b), 9.2.1 b) 3) 4), 9.3.2, 10.2.2).
//
// The flow:
//
//  1. The partner sends the user's browser to the bank: StartAuthorization checks the
//     App_ID, the exact redirect URI, the scopes, PKCE (S256 only, mandatory) and what
//     is asked — periodic account information for 1 to 90 days, or one payment.
//  2. The customer logs in at the bank (package sessions: password + one-time code),
//     sees GetAuthorization (app, scopes, validity, payment and risk notice) and picks
//     accounts. Approve records the consent and returns the redirect with code and
//     state; Refuse returns it with error=access_denied. A payment consent additionally
//     needs a one-time code bound to this request (RequestPaymentCode).
//  3. The partner's back end calls the token endpoint (ExchangeCode) over mutual TLS:
//     code (single use, 60 s), code_verifier, redirect_uri. The access token (5 min) is
//     bound to the App_ID and to the SM3 fingerprint of the client certificate; periodic
//     consents also get a refresh token, rotated on every use.
//  4. The gateway calls Authorize on every A2 call: token, App_ID, certificate, consent
//     state, scope and account.
//
// Tokens, codes and request ids are random; tokens and codes are stored only as SM3
// digests. Revocation comes from the partner (RevokeToken, RFC 7009), the user in the
// portal (RevokeConsent, 9.3.2/2) and the bank (RevokeAllForApp, 9.2.1 b) 4)).
package consent

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/jr0185/harness/sandbox/internal/sessions"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Kind is what a consent allows.
type Kind string

// Kinds (JR/T 0185-2020 9.3.2/1c: 单次有效、阶段性有效).
const (
	KindAccountInfo Kind = "account_info" // periodic: ValidDays 1..90, refresh tokens
	KindPayment     Kind = "payment"      // single use: one payment, no refresh token
)

// Status of a consent.
type Status string

// Statuses.
const (
	StatusActive  Status = "active"
	StatusRevoked Status = "revoked"
	StatusExpired Status = "expired"
	StatusUsed    Status = "used"
)

// Who revoked.
const (
	ByUser    = "user"    // in the bank's portal (9.3.2/2)
	ByPartner = "partner" // token revocation (RFC 7009)
	ByBank    = "bank"    // admin, or reuse detection (9.2.1 b) 4))
)

// PaymentRiskNotice is shown with every payment consent (10.2.2/3: 提示用户相关的安全风险).
const PaymentRiskNotice = "资金安全提示：请核对收款人、金额和用途，确认是您本人发起的支付。" +
	"银行工作人员不会向您索要验证码；任何人索要验证码或要求您向“安全账户”转账均为诈骗。" +
	"授权后，应用方将可以从您选定的账户发起这一笔支付。"

// Payment is what a payment consent allows: one transfer of AmountFen to the payee.
type Payment struct {
	AmountFen int64  `json:"amount_fen"`
	Currency  string `json:"currency"` // CNY
	PayeeName string `json:"payee_name"`
	// PayeeAccount is input only (StartAuthorization): it is never stored. The consent
	// keeps PayeeMasked for display and an SM3 digest to match the later payment.
	PayeeAccount string `json:"-"`
	PayeeMasked  string `json:"payee_account_masked"`
	payeeDigest  string
}

// Request is an authorization request from a partner (the query of /oauth/authorize).
type Request struct {
	AppID               string
	RedirectURI         string
	Scopes              []string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string // only "S256"
	Kind                Kind
	ValidDays           int      // account_info: 1..90
	Payment             *Payment // payment: required
	AccountHint         string   // optional: account to preselect
}

// AuthRequest is a stored authorization request, for the consent page.
type AuthRequest struct {
	ID          string    `json:"id"`
	AppID       string    `json:"app_id"`
	AppName     string    `json:"app_name"`
	RedirectURI string    `json:"redirect_uri"`
	Scopes      []string  `json:"scopes"`
	State       string    `json:"-"`
	Kind        Kind      `json:"kind"`
	ValidDays   int       `json:"valid_days,omitempty"`
	Payment     *Payment  `json:"payment,omitempty"`
	AccountHint string    `json:"-"`
	Status      string    `json:"status"` // pending | approved | refused
	CustomerID  string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"` // the request itself (decide before)
	DecidedAt   time.Time `json:"-"`
	// Validity is how long the consent will last once approved (9.3.2/1b: 其内容应包含
	// 授权有效期); RiskNotice is set for payments (10.2.2/3).
	Validity   time.Duration `json:"validity"`
	RiskNotice string        `json:"risk_notice,omitempty"`

	challenge string
}

// Consent is what a customer agreed to.
type Consent struct {
	ID           string    `json:"consent_id"`
	RequestID    string    `json:"-"`
	CustomerID   string    `json:"customer_id"`
	AppID        string    `json:"app_id"`
	AppName      string    `json:"app_name,omitempty"`
	Kind         Kind      `json:"kind"`
	Scopes       []string  `json:"scopes"`
	Accounts     []string  `json:"accounts"`
	Status       Status    `json:"status"` // effective: an active consent past ExpiresAt is expired
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Payment      *Payment  `json:"payment,omitempty"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokedBy    string    `json:"revoked_by,omitempty"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	UsedAt       time.Time `json:"used_at,omitzero"`
}

// effective returns the status as of now.
func (c Consent) effective(now time.Time) Status {
	if c.Status == StatusActive && !now.Before(c.ExpiresAt) {
		return StatusExpired
	}
	return c.Status
}

// Grant is what Authorize hands the business layer: whose data, which accounts, what for.
type Grant struct {
	ConsentID      string    `json:"consent_id"`
	CustomerID     string    `json:"customer_id"`
	AppID          string    `json:"app_id"`
	Kind           Kind      `json:"kind"`
	Scopes         []string  `json:"scopes"`
	Accounts       []string  `json:"accounts"`
	ExpiresAt      time.Time `json:"expires_at"`       // the consent
	TokenExpiresAt time.Time `json:"token_expires_at"` // the access token
	Payment        *Payment  `json:"payment,omitempty"`
	// Used: a spent single-use consent let through by AuthorizeReplay; only a replay of
	// the first result may be answered.
	Used bool `json:"-"`
}

// PaymentMismatch names the first term of a payment that differs from what the user
// consented to — "debit account", "amount", "currency", "payee account" or "payee
// name" — or returns "" when the payment is exactly the consented one (10.2.2/2: 核实
// 用户本人意愿; 9.3.1/2: 对应用方上送的用户相关信息进行核验). Payee names are compared
// after NormalizeName: the user approved 10.00 to card …0020 named 赵六, and a payment
// to that card named 孙七 is not what they approved.
func (g Grant) PaymentMismatch(debitAccount string, amountFen int64, currency, payeeAccount, payeeName string) string {
	switch {
	case g.Kind != KindPayment || g.Payment == nil || len(g.Accounts) != 1 || g.Accounts[0] != debitAccount:
		return "debit account"
	case g.Payment.AmountFen != amountFen:
		return "amount"
	case g.Payment.Currency != currency:
		return "currency"
	case g.Payment.payeeDigest != payeeDigest(payeeAccount):
		return "payee account"
	case NormalizeName(g.Payment.PayeeName) != NormalizeName(payeeName):
		return "payee name"
	}
	return ""
}

// NormalizeName is the form payee names are compared in: full-width letters, digits
// and spaces made ASCII, the middle-dot variants of transliterated names (·•‧・･) made
// one, runs of spaces made one, no space at either end, Latin letters upper-cased. Two
// spellings that differ in more than that are two names.
func NormalizeName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFF01 - 0x21
		case r == 0x3000 || unicode.IsSpace(r):
			r = ' '
		case r == 0x2022 || r == 0x2027 || r == 0x30FB || r == 0xFF65:
			r = 0x00B7
		}
		if r == ' ' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// TokenSet is the token endpoint's answer (RFC 6749 5.1, plus consent_id).
type TokenSet struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"` // Bearer
	ExpiresIn        int       `json:"expires_in"` // seconds
	RefreshToken     string    `json:"refresh_token,omitempty"`
	Scope            string    `json:"scope"`
	ConsentID        string    `json:"consent_id"`
	ExpiresAt        time.Time `json:"-"`
	RefreshExpiresAt time.Time `json:"-"`
}

// Client is what the consent flow needs to know about a partner's app.
type Client struct {
	ID           string
	Name         string
	Status       string // active | pending | suspended | blacklisted | exited
	Scopes       []string
	RedirectURIs []string
}

// Apps looks up partner apps. found is false for an unknown App_ID.
type Apps interface {
	Client(ctx context.Context, appID string) (c Client, found bool, err error)
}

// Sessions resolves the customer's bank login (implemented by sessions.Service). Touch
// counts the consent decision as activity (9.3.1/3).
type Sessions interface {
	Touch(ctx context.Context, token string) (sessions.Session, error)
}

// Codes sends and checks one-time codes (implemented by otp.Service).
type Codes interface {
	Issue(ctx context.Context, customerID, purpose string) (string, error)
	Verify(ctx context.Context, customerID, purpose, code string) error
}

// Accounts lists the account numbers a customer owns.
type Accounts interface {
	AccountsOf(ctx context.Context, customerID string) ([]string, error)
}

func payeeDigest(account string) string {
	account = strings.NewReplacer(" ", "", "-", "").Replace(account)
	return protocol.SM3Hex([]byte("payee:" + account))
}
