// Package otp issues and checks one-time codes: the possession factor of the bank-side
// login and of payment confirmation (JR/T 0185-2020 7.2.1 b) 2): 资金交易类服务…至少使用双因子
// 认证). The sandbox has no SMS gateway: codes are "sent" to a simulated phone whose inbox
// the sandbox shows (Inbox).
//
// Storage. A code is six digits from crypto/rand. The database keeps only
// HMAC-SM3(pepper, id, customer, purpose, code) — never the code (7.2.2/3: 支付敏感信息不
// 以明文存储) — with its expiry (default 5 minutes on the injected clock), the number of
// attempts (default 5, then the code is dead) and when it was used (a code works once).
// A new code for the same customer and purpose supersedes the previous one.
//
// The pepper is not in the database. By default it is random per process, so codes do
// not survive a restart; a multi-replica deployment sets Options.Pepper to a shared
// secret. Six digits are only a million candidates, so a digest without a secret pepper
// would be no protection at all for someone holding a copy of the database.
//
// The simulated phone. The plaintext of recent codes is kept in memory only, in a small
// ring per customer, so that the sandbox can show "the phone" (a trainer's dashboard, a
// test user's inbox page). It is never written to the database or to logs, and it is
// gone after a restart. A production deployment would disable the inbox and deliver
// through an SMS gateway instead.
package otp

import (
	"regexp"
	"time"
)

// Purposes. A payment code is bound to one authorization request, so a code sent to
// confirm one payment cannot confirm another.
const (
	PurposeLogin  = "login"
	purposePayPfx = "payment:"
)

// PaymentPurpose is the purpose of the code that confirms the payment authorization
// request id.
func PaymentPurpose(id string) string { return purposePayPfx + id }

var purposeRE = regexp.MustCompile(`^(login|payment:[A-Za-z0-9_-]{1,64})$`)

// ValidPurpose reports whether p is "login" or "payment:<id>".
func ValidPurpose(p string) bool { return purposeRE.MatchString(p) }

// Message is one text on the simulated phone.
type Message struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Purpose    string    `json:"purpose"`
	Code       string    `json:"code"`
	Text       string    `json:"text"`
	SentAt     time.Time `json:"sent_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Expired    bool      `json:"expired"` // as of the Inbox call
	Used       bool      `json:"used"`    // verified successfully through this process
}

// Code is a stored one-time code (without the code).
type Code struct {
	ID         string
	CustomerID string
	Purpose    string
	MAC        string // hex HMAC-SM3
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Attempts   int
	UsedAt     time.Time // zero if unused
}
