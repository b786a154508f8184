// Package magic is the one source of truth for the sandbox's magic test values: the test
// users, amounts and payee accounts that reach every unhappy path. The payments service
// and the HTTP layer act on these constants, and /docs/magic-values (+ .json) and the
// README table are rendered from Table, so documentation and behaviour cannot drift.
package magic

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/jr0185/harness/fakedata"
	"github.com/jr0185/harness/sandbox/internal/money"
)

// Password is the test users' password (JR/T 0185-2020 12.1: how to use the test
// environment), the one the seeded customers get.
const Password = fakedata.TestPassword

// Amounts (fen) with a forced outcome once the payment is made.
const (
	AmountInsufficientFen  int64 = 13        // 0.13
	AmountConfirmFailedFen int64 = 22        // 0.22
	AmountUnavailableFen   int64 = 503       // 5.03
	AmountSlowFen          int64 = 808       // 8.08
	AmountRiskReviewFen    int64 = 8_888_888 // 88,888.88
)

// Payee accounts (Luhn-valid on BIN 622200, which no seeded account uses).
const (
	PayeeClosed        = "6222000000000000004"
	PayeeFlagged       = "6222000000000000012"
	PayeeNotifyDelayed = "6222000000000000061"
	PayeeNotifyFails   = "6222000000000000079"
)

// Timings of the slow and delayed paths.
const (
	SlowDelay         = 3 * time.Second
	NotifyDelay       = 2 * time.Minute
	UnavailableRetryS = 5
)

// Value is one row of the table.
type Value struct {
	Path   string `json:"unhappy_path"`
	Kind   string `json:"kind"` // user, amount, payee
	Value  string `json:"value"`
	Effect string `json:"effect"`
	// Status and Code: the HTTP status and catalogued code (or the payment's final
	// status and failure_code) a partner sees.
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
}

// Table lists every magic value (JR/T 0185-2020 12.1: how to use the test environment).
var Table = []Value{
	{"insufficient funds", "user", "lisi", "lisi's only debit card holds a small balance; paying 40,000.00 from it fails", "payment failed", "INSUFFICIENT_FUNDS"},
	{"insufficient funds", "amount", money.Format(AmountInsufficientFen), "fails whatever the balance", "payment failed", "INSUFFICIENT_FUNDS"},
	{"frozen account", "user", "wangwu", "wangwu's debit card is frozen; a payment from it is refused", "422", "ACCOUNT_FROZEN"},
	{"limit exceeded", "user", "zhangsan", "paying 500,000.01 exceeds his card's per-transaction limit", "422", "LIMIT_EXCEEDED"},
	{"risk review", "amount", money.Format(AmountRiskReviewFen), "held for the operator's review (any amount of 50,000.00 or more is too)", "payment risk_review", ""},
	{"risk review", "payee", PayeeFlagged, "payee on the bank's watch list: held for review", "payment risk_review", ""},
	{"payee unavailable", "payee", PayeeClosed, "the receiving bank reports the account closed", "payment failed", "PAYEE_ACCOUNT_UNAVAILABLE"},
	{"confirmation failed", "amount", money.Format(AmountConfirmFailedFen), "the bank cannot verify the payer's confirmation; nothing is debited", "payment failed", "PAYMENT_CONFIRMATION_FAILED"},
	{"delayed notification", "payee", PayeeNotifyDelayed, "the payment succeeds; its notification is first sent 2 minutes (sandbox clock) later", "payment succeeded", ""},
	{"failed notification", "payee", PayeeNotifyFails, "the payment succeeds; its notification is never delivered (recorded as exhausted, last_error says why)", "payment succeeded", ""},
	{"503", "amount", money.Format(AmountUnavailableFen), "the create call answers 503 with Retry-After: 5; nothing is created and the consent stays unused", "503", "SERVICE_UNAVAILABLE"},
	{"slow response", "amount", money.Format(AmountSlowFen), "the create call answers after 3 seconds (then normally): test your client timeout", "201 after 3 s", ""},
}

// Markdown renders Table as the README's table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Unhappy path | Kind | Value | Effect | Partner sees |\n|---|---|---|---|---|\n")
	for _, v := range Table {
		sees := v.Status
		if v.Code != "" {
			sees += " `" + v.Code + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", v.Path, v.Kind, v.Value, v.Effect, sees)
	}
	return b.String()
}

// HTML renders Table as a self-contained page.
func HTML() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Magic values</title></head><body><h1>Magic values</h1>` +
		`<p>Test users (password <code>` + html.EscapeString(Password) + `</code>), amounts and payee accounts that reach every unhappy path. Machine-readable: <a href="/docs/magic-values.json">/docs/magic-values.json</a>.</p>` +
		"<table><thead><tr><th>Unhappy path</th><th>Kind</th><th>Value</th><th>Effect</th><th>Partner sees</th></tr></thead><tbody>")
	e := html.EscapeString
	for _, v := range Table {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s <code>%s</code></td></tr>",
			e(v.Path), e(v.Kind), e(v.Value), e(v.Effect), e(v.Status), e(v.Code))
	}
	b.WriteString("</tbody></table></body></html>")
	return b.String()
}
