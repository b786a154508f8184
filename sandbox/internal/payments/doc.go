// Package payments is the bank's payment service (JR/T 0185-2020 6.2 A2: 资金交易):
// idempotent creation scoped to the App_ID, confirmation by the payer at the bank,
// limits, large-amount risk review, execution on the double-entry ledger and a
// notification outbox. It has no HTTP code: handlers parse, call one method, render.
//
// # Life of a payment
//
//	Create ──► pending_confirmation ──Confirm──► processing ──► succeeded
//	                  │                    │              └──► failed
//	                Cancel                 └──► risk_review ──Approve──► processing ...
//	                  ▼                                   └──Reject───► rejected
//	              cancelled
//
// Confirm is called by the consent/OTP layer after the payer confirmed with a one-time
// code at the bank (10.2.2/2: 核实用户本人意愿). A payment of Options.RiskReviewFen or
// more is held in risk_review after confirmation and an alarm is raised (10.2.3/3: 大额
// 逐笔监测与核查，及时预警、及时控制); an administrator approves or rejects it (10.2.3/4).
// Execution posts balanced ledger entries and the final status in one transaction:
// never money without status, never status without money. Every final status
// (succeeded, failed, rejected, cancelled) writes a payment_notifications row in that
// same transaction (the outbox a notifier delivers from).
//
// The A2 API's payments are confirmed when the user consents to them at the bank;
// CreateConfirmed records such a payment, consumes its single-use consent (a function
// the caller passes) and executes it in one transaction, so there is no state in which
// a payment waits for a confirmation its consent already gave: it is recorded in
// processing (or held in risk_review) from the start. CreateConfirmedAnswered also
// stores the signed answer for its idempotency key in that transaction.
//
// A payment whose execution is interrupted (process killed between the claim and the
// posting) stays in processing; ResumeProcessing, called at start-up, finishes it. The
// posting's reference "payment:<id>" is unique, so it can never post twice.
//
// # Idempotency
//
// Every Create carries an idempotency key scoped to the App_ID and the SM3 hash of the
// canonical request body. The first request inserts a reservation row (insert-first, in
// the business database, so it holds across processes and replicas):
//
//	same key, same hash, first still in flight    409 IDEMPOTENCY_IN_PROGRESS
//	same key, different hash                       422 IDEMPOTENCY_KEY_REUSED
//	same key, same hash, response stored           Result{Replayed: true, Response: stored}
//	same key, same hash, first crashed (lease      in_progress: taken over and processed;
//	  of Options.IdempotencyLease expired)         executed: Result{Replayed: true, Response: nil}
//
// A request refused by validation releases its key (nothing was created; Stripe's rule):
// the reservation and the payment are written in one transaction, which the refusal
// rolls back. A corrected retry may reuse the key. The HTTP layer stores the exact response it sent
// with StoreResponse (first write wins) and replays it with LookupResponse or from
// Result.Response.
//
// # Limits
//
// Refused with 422 LIMIT_EXCEEDED (10.2.1/3), the detail naming the limit: the payer
// account's per-transaction and daily limits (accounts table), the App_ID's own
// per-transaction and daily limits (AppLimits, set by the operator; daily default
// Options.AppDailyLimitFen) and the user's daily limit (Options). A day is a calendar
// day in China Standard Time. Daily usage counts the day's payments that are pending,
// in review, processing or succeeded; limits are checked at creation and again,
// counting processing and succeeded payments, when the payment executes.
//
// # Velocity
//
// The risk engine counts, at confirmation, the payments created within a window by the
// App_ID (its AppLimits threshold, else Options.VelocityAppMax) and from the debit
// account (Options.VelocityAccountMax); with no threshold set there is no rule. The payment that makes the count exceed a
// threshold is held in risk_review with a payment_velocity alarm (10.2.3/1).
//
// # Magic values
//
// The sandbox reaches its unhappy paths with the values of package magic (the one
// table, also served at /docs/magic-values): amounts 0.13 (INSUFFICIENT_FUNDS), 0.22
// (PAYMENT_CONFIRMATION_FAILED) and 88888.88 (risk_review) once the payer confirms;
// payees that are closed, on the watch list, or whose notification is delayed or never
// delivered; and amounts 5.03 and 8.08 that the HTTP layer answers with 503 or slowly
// (MagicResponse). Options.DisableMagic turns them off.
//
// The seeded test users cover the rest: lisi paying 40,000.00 fails with
// INSUFFICIENT_FUNDS, wangwu's frozen account is refused with ACCOUNT_FROZEN, and
// zhangsan paying 500,000.01 exceeds his per-transaction limit.
package payments
