// Package sessions is the bank-side login for the consent pages and the customer portal:
// the user authenticates at the bank, never at the partner (JR/T 0185-2020 7.2.1 b) 2),
// 9.3.1/1), with two factors — the password (knowledge) and a one-time code sent to the
// phone (possession).
//
// Login checks the password against customers.password_hash and sends a code; the
// returned pending token is good only for CompleteLogin. CompleteLogin checks the code
// and returns a new session token (the pending one is ended, so a token seen before the
// second factor is worthless after it).
//
// Sessions end after IdleTimeout without a business operation (Touch) and after
// MaxLifetime in any case (9.3.1/3: 用户长期处于无业务操作时，应结束会话). Tokens are 32
// random bytes; the database keeps only their SM3 digest.
//
// Failed logins — wrong password, unknown username, wrong one-time code — are counted per
// username (known or not) and lock it for LockFor after FailLimit failures within
// FailWindow. LOGIN_FAILED never says which factor or whether the username exists, and
// an unknown username costs the same password-hash work as a known one.
package sessions

import "time"

// Stages of a stored session.
const (
	StagePending = "otp"    // password accepted, one-time code pending
	StageActive  = "active" // both factors
	StageEnded   = "ended"
)

// Pending is the state between the two factors.
type Pending struct {
	Token        string    `json:"-"` // for CompleteLogin only; keep it in an HttpOnly cookie
	CustomerID   string    `json:"customer_id"`
	MaskedMobile string    `json:"masked_mobile"` // where the code was sent, e.g. 138****5678
	ExpiresAt    time.Time `json:"expires_at"`
}

// Session is a logged-in customer.
type Session struct {
	Token         string    `json:"-"` // set only by CompleteLogin
	CustomerID    string    `json:"customer_id"`
	Username      string    `json:"username"`
	CreatedAt     time.Time `json:"created_at"`
	LastSeenAt    time.Time `json:"last_seen_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"` // LastSeenAt + IdleTimeout, capped by ExpiresAt
	ExpiresAt     time.Time `json:"expires_at"`      // absolute end
}

// Customer is what login needs to know about a customer.
type Customer struct {
	ID           string
	Username     string
	PasswordHash string
	Mobile       string
}

// Row is a stored session.
type Row struct {
	Hash       string // SM3 of the token
	CustomerID string
	Username   string
	Stage      string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}
