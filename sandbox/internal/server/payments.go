package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/payments"
	"github.com/jr0185/harness/sandbox/internal/pii"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/internal/strictbody"
	"github.com/jr0185/harness/sandbox/protocol"
)

// paymentRequest is the body of a2.payments.create. The payee's account number and
// name travel encrypted to the bank's encryption key (JR/T 0185-2020 7.2.2/3b), as an
// envelope whose plaintext is {"account": "...", "name": "..."} with aad "payee".
type paymentRequest struct {
	DebitAccountID string          `json:"debit_account_id"`
	Amount         string          `json:"amount"`
	Currency       string          `json:"currency"`
	Payee          json.RawMessage `json:"payee"`
	Memo           string          `json:"memo"`
}

type payeeDetails struct {
	Account string `json:"account"`
	Name    string `json:"name"`
}

// paymentView is what a partner sees of a payment: never a full account number.
type paymentView struct {
	ID             string    `json:"payment_id"`
	Status         string    `json:"status"`
	Amount         string    `json:"amount"`
	Currency       string    `json:"currency"`
	DebitAccountID string    `json:"debit_account_id"`
	PayeeMasked    string    `json:"payee_account_masked"`
	PayeeName      string    `json:"payee_name_masked"`
	Memo           string    `json:"memo,omitempty"`
	FailureCode    string    `json:"failure_code,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
}

// PaymentJSON is the partner-facing view of a payment (also used for notifications).
func (s *Server) PaymentJSON(p payments.Payment) any { return s.view(p) }

func (s *Server) view(p payments.Payment) paymentView {
	v := paymentView{ID: p.ID, Status: string(p.Status), Amount: money.Format(p.AmountFen), Currency: p.Currency,
		DebitAccountID: s.d.AccountIDs.For(p.PayerAccount), PayeeMasked: pii.MaskCard(p.PayeeAccount),
		PayeeName: pii.MaskName(p.PayeeName), Memo: p.Memo, FailureCode: p.FailureCode,
		CreatedAt: p.CreatedAt.UTC(), FinishedAt: p.FinishedAt.UTC()}
	if s.d.Mutant.Is(mutant.UnmaskedPayeeName) { // 7.2.2/3b broken: the name in full
		v.PayeeName = p.PayeeName
	}
	return v
}

// paymentCreate serves a2.payments.create: a payment exactly as the user consented to
// at the bank (where they confirmed it with a one-time code: two factors for fund
// transactions, 7.2.1 b2), idempotent per App_ID (first answer replayed byte for byte).
func (s *Server) paymentCreate(ctx context.Context, in Input) (int, any, error) {
	adm := in.Admission
	key := in.Header(protocol.HeaderIdempotKey)
	if !payments.ValidIdempotencyKey(key) && !(s.d.Mutant.Is(mutant.IdempotencyKeyAnyChar) && key != "") {
		return 0, nil, problem.IdempotencyKeyInvalid.WithDetail("send a unique %s header with every new payment and reuse it only to retry", protocol.HeaderIdempotKey)
	}
	if s.d.Mutant.Is(mutant.IdempotencyOff) {
		key = protocol.NewNonce() // every request is taken for a new payment
	}
	var req paymentRequest
	if err := s.decodeJSON(in.Header("Content-Type"), in.Body, &req); err != nil {
		return 0, nil, err // body: debit_account_id, amount, currency, payee (encrypted) and memo
	}
	amount, err := money.Parse(req.Amount)
	if err != nil {
		return 0, nil, problem.ParameterInvalid.WithDetail("%s", err.Error())
	}
	if req.Currency == "" {
		req.Currency = "CNY"
	}
	plain, err := s.openPayee(req.Payee)
	if err != nil {
		return 0, nil, err
	}
	g := adm.Grant
	if g == nil { // 9.3.2/1b: a payment acts for a user, under their consent
		return 0, nil, problem.PaymentNotConsented.WithDetail("a payment needs the user's payment consent (send its access token in %s)", gateway.HeaderAccessToken)
	}
	if g.Used { // a spent consent: only a retry of an existing payment is answered
		if _, err := s.d.Payments.GetByKey(ctx, adm.App.ID, key); err != nil {
			return 0, nil, problem.ConsentUsed.WithDetail("this single-use payment consent was already used; ask the user for a new consent")
		}
	}
	debit := ""
	for _, n := range g.Accounts {
		if s.d.AccountIDs.For(n) == req.DebitAccountID {
			debit = n
		}
	}
	// 10.2.2/2, 9.3.1/2: the payment must be the one the user confirmed at the bank —
	// debit account, amount, currency, payee account and payee name.
	if s.d.Mutant.Is(mutant.IgnoreConsentPaymentTerms) {
		debit = s.ownAccountNumber(ctx, g.CustomerID, req.DebitAccountID)
	} else if m := g.PaymentMismatch(debit, amount, req.Currency, plain.Account, plain.Name); m != "" &&
		!(m == "payee name" && s.d.Mutant.Is(mutant.PayeeNameUnbound)) {
		return 0, nil, problem.PaymentNotConsented.WithDetail("the %s differs from what the user consented to in consent %s (debit account, amount, currency, payee account and payee name must all match)", m, g.ConsentID)
	}
	// magic.go: 503 and slow amounts — for a new payment only: a replay of an answered
	// key gets its stored answer at once (issue 15).
	if err := s.magicAnswer(ctx, amount, func() bool {
		_, stored, err := s.d.Payments.LookupResponse(ctx, adm.App.ID, key)
		return err == nil && stored
	}); err != nil {
		return 0, nil, err
	}
	req2 := payments.CreateRequest{AppID: adm.App.ID, IdempotencyKey: key, ConsentID: g.ConsentID,
		CustomerID: g.CustomerID, PayerAccount: debit, PayeeAccount: plain.Account, PayeeName: plain.Name, AmountFen: amount,
		Currency: req.Currency, Memo: req.Memo, RequestHash: protocol.SM3Hex(in.Body)}
	// The user confirmed this payment at the bank when consenting (7.2.1 b2): the
	// payment, the use of its single-use consent and its execution commit together.
	// Its signed answer is stored for replays in the same transaction.
	res, err := s.d.Payments.CreateConfirmedAnswered(ctx, req2, func(tx *sql.Tx) error {
		return s.d.Consent.UseOnceTx(ctx, tx, g.ConsentID)
	}, payments.Answer{Render: func(p payments.Payment) (int, []byte, error) {
		body, err := json.Marshal(s.view(p))
		return 201, body, err
	}, Sign: s.signedAnswer})
	if err != nil {
		return 0, nil, err
	}
	if !res.Replayed && res.Response != nil {
		return 0, &Reply{Raw: res.Response, Fresh: true}, nil
	}
	if !res.Replayed {
		return s.storedReply(adm.App.ID, key, 201, s.view(res.Payment))
	}
	if res.Response != nil {
		return 0, &Reply{Raw: res.Response}, nil
	}
	if res.Payment.Status != payments.StatusPendingConfirmation || res.Payment.ConsentID != g.ConsentID {
		return s.storedReply(adm.App.ID, key, 200, s.view(res.Payment))
	}
	// A payment recorded pending confirmation by an earlier attempt that stopped (a
	// crash) before confirming it — possible with data written before payments and
	// their confirmation shared one transaction: finish that attempt now, under the
	// same consent.
	if err := s.d.Consent.UseOnce(ctx, g.ConsentID); err != nil && !errors.Is(err, problem.ConsentUsed) {
		_, _ = s.d.Payments.Cancel(ctx, adm.App.ID, res.Payment.ID)
		return 0, nil, err
	}
	p, err := s.d.Payments.Confirm(ctx, res.Payment.ID, g.CustomerID)
	if err != nil && !errors.As(err, new(*problem.Error)) {
		return 0, nil, err
	}
	if err != nil { // a business refusal at execution: the payment is recorded as failed
		if got, gerr := s.d.Payments.Get(ctx, adm.App.ID, res.Payment.ID); gerr == nil {
			p = got
		}
	}
	return s.storedReply(adm.App.ID, key, 201, s.view(p))
}

// storedReply renders v and, once signed, stores the exact response for replays.
func (s *Server) storedReply(appID, key string, status int, v any) (int, any, error) {
	return status, &Reply{Status: status, Body: v, After: func(st int, headers map[string]string, body []byte) {
		if err := s.d.Payments.StoreResponse(context.Background(), appID, key, st, headers, body); err != nil {
			s.d.Log.Error("storing the idempotent response failed", "app_id", appID, "err", err)
		}
	}}, nil
}

// signedAnswer is the JSON answer body with status, signed (what signResponse adds to
// a rendered answer), for a handler that stores its answer.
func (s *Server) signedAnswer(status int, body []byte) (payments.StoredResponse, error) {
	sig, err := s.responseSignature(body)
	if err != nil {
		return payments.StoredResponse{}, err
	}
	headers := map[string]string{fiber.HeaderContentType: fiber.MIMEApplicationJSONCharsetUTF8}
	for k, v := range sig {
		headers[k] = v
	}
	return payments.StoredResponse{Status: status, Headers: headers, Body: body}, nil
}

// openPayee decrypts the payee with the bank's encryption key.
func (s *Server) openPayee(raw json.RawMessage) (payeeDetails, error) {
	var wrapper struct {
		Encrypted json.RawMessage `json:"encrypted"`
	}
	if len(raw) == 0 || s.decodeJSON(strictbody.JSONType, raw, &wrapper) != nil || len(wrapper.Encrypted) == 0 {
		var p payeeDetails
		if s.d.Mutant.Is(mutant.AcceptPlaintextPayee) && json.Unmarshal(raw, &p) == nil && p.Account != "" {
			return p, nil
		}
		return payeeDetails{}, problem.BodyInvalid.WithDetail(`payee must be {"encrypted": <envelope>} sealed to the bank's encryption certificate (/pki/bank-enc.crt) with aad "payee" (JR/T 0185-2020 7.2.2)`)
	}
	env, err := protocol.ParseEnvelope(wrapper.Encrypted)
	if err == nil {
		var plain []byte
		if plain, err = protocol.Open(s.d.EncKey, env, []byte("payee")); err == nil {
			var p payeeDetails
			if s.decodeJSON(strictbody.JSONType, plain, &p) == nil && p.Account != "" && strings.TrimSpace(p.Name) != "" {
				return p, nil
			}
			err = errors.New("plaintext must be {\"account\": ..., \"name\": ...}")
		}
	}
	return payeeDetails{}, problem.BodyInvalid.WithDetail("the payee envelope does not open with the bank's encryption key: %s", clipN(strings.TrimPrefix(err.Error(), "cannot open envelope: "), 120))
}

// paymentGet serves a2.payments.get: only this app's payments.
func (s *Server) paymentGet(ctx context.Context, in Input) (int, any, error) {
	p, err := s.d.Payments.Get(ctx, in.Admission.App.ID, in.PathParams["payment_id"])
	if err != nil {
		return 0, nil, err
	}
	return 200, s.view(p), nil
}

// ownAccountNumber finds the number of one of the customer's accounts by id, for the
// ignore-consent-payment-terms mutant bank only ("" if none matches).
func (s *Server) ownAccountNumber(ctx context.Context, customerID, accountID string) string {
	numbers, err := s.d.Consent.Accounts.AccountsOf(ctx, customerID)
	if err != nil {
		return ""
	}
	for _, n := range numbers {
		if s.d.AccountIDs.For(n) == accountID {
			return n
		}
	}
	return ""
}
