// Package otp issues and checks one-time codes: the possession factor of the bank-side
// login and of payment confirmation (JR/T 0185-2020 7.2.1 b) 2): 资金交易类服务…至少使用双因子
// 认证). The sandbox has no SMS gateway: codes are "sent" to a simulated phone whose inbox
// the sandbox shows (Inbox).
//
// Storage. A code is six digits from crypto/rand. The database keeps only
// HMAC-SM3(pepper, id, customer, purpose, code) — never the code (7.2.2/3: 支付敏感信息不
// 以明文存储) — with its expiry (default 5 minutes on the injected clock), the number of
// attempts and when it was used (a code works once). A new code for the same customer
// and purpose supersedes the previous one.
//
// Guesses. A purpose (one pending login, one payment authorization) has MaxAttempts
// wrong or right attempts in all (default 5): a re-issued code inherits the attempts of
// the unused code it supersedes, so asking for a fresh code does not renew the guesses,
// and once they are spent the step is dead — the user logs in again, or the partner
// starts the payment authorization again. A purpose is sent MaxCodesPerPurpose codes at
// most (default 3), and one App_ID's payment codes to one customer are capped per
// rolling hour (MaxPaymentCodesPerHour, default 20): no flood of texts to a victim's
// phone. Both refusals are OTP_SEND_LIMITED (7.2.1 b) 2)).
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
	"strings"
	"time"
)

// Purposes. A code is bound to one step: a pending login ("login:<id>") or one payment
// authorization request of one App_ID ("payment:<App_ID>:<request id>"), so a code sent
// to confirm one payment cannot confirm another (JR/T 0185-2020 7.2.1 b) 2), 10.2.2/2),
// and the attempts and codes a step may use are counted across its re-issues. The bare
// "login" and "payment:<id>" of earlier releases are still accepted.
const (
	PurposeLogin  = "login"
	purposePayPfx = "payment:"
)

// LoginPurpose is the purpose of the code that completes the pending login id.
func LoginPurpose(id string) string { return PurposeLogin + ":" + id }

// PaymentPurpose is the purpose of the code that confirms the payment authorization
// request id of App_ID appID.
func PaymentPurpose(appID, id string) string { return purposePayPfx + appID + ":" + id }

var purposeRE = regexp.MustCompile(`^(login(:[A-Za-z0-9_-]{1,64})?|payment:([A-Za-z0-9]{1,32}:)?[A-Za-z0-9_-]{1,64})$`)

// ValidPurpose reports whether p is a login or payment purpose.
func ValidPurpose(p string) bool { return purposeRE.MatchString(p) }

// IsLogin reports whether p is a login purpose.
func IsLogin(p string) bool { return p == PurposeLogin || strings.HasPrefix(p, PurposeLogin+":") }

// paymentApp is the App_ID of a payment purpose ("" for any other purpose): the hourly
// cap counts one App_ID's payment codes to one customer.
func paymentApp(p string) string {
	rest, ok := strings.CutPrefix(p, purposePayPfx)
	if !ok {
		return ""
	}
	app, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return app
}

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
