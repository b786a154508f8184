package payments

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/jr0185/harness/sandbox/internal/ledger"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// Reservation states (idempotency_keys.state).
const (
	keyInProgress = "in_progress" // reserved; no payment yet
	keyExecuted   = "executed"    // payment created; response not stored yet
	keyDone       = "done"        // response stored
)

// MaxIdempotencyKeyLen bounds an idempotency key.
const MaxIdempotencyKeyLen = 64

// ValidIdempotencyKey reports whether k is 1 to 64 characters of A-Z a-z 0-9 - _ . :
// (a UUID qualifies).
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// StoredResponse is the response first sent for an idempotency key, replayed verbatim.
type StoredResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

type outcome int

const (
	reserved outcome = iota // this request owns the key
	inFlight                // another request owns it and is not done: 409
	mismatch                // the key was used with another body: 422
	replay                  // the key produced a payment: replay it
)

type reservation struct {
	outcome   outcome
	owner     string
	paymentID string
	response  *StoredResponse
}

// keyspace is the App_ID whose namespace an Idempotency-Key lives in: its own — a key
// is scoped to the App_ID, so two apps using one key make two payments, each answered
// its own (10.2.2/2). The shared-idempotency-keys mutant bank keeps one namespace for
// every App_ID.
func (s *Service) keyspace(appID string) string {
	if s.opts.Mutant.Is(mutant.SharedIdempotencyKeys) {
		return "*"
	}
	return appID
}

// reserve claims (appID, key) for a request whose body hashes to hash, insert-first:
// the unique primary key decides between concurrent requests, in any process. A
// reservation whose lease expired (its owner crashed) is taken over. It runs in the
// caller's transaction (Create reserves and creates in one transaction: a refused
// request's reservation is rolled back with it).
func reserve(ctx context.Context, q querier, appID, key, hash string, now time.Time, lease time.Duration) (reservation, error) {
	owner := ledger.NewID("IDM")
	for attempt := 0; attempt < 5; attempt++ {
		res, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys (app_id, idem_key, request_hash, state, owner, lease_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (app_id, idem_key) DO NOTHING`,
			appID, key, hash, keyInProgress, owner, now.Add(lease).UnixNano(), now.UnixNano())
		if err != nil {
			return reservation{}, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return reservation{}, err
		} else if n == 1 {
			return reservation{outcome: reserved, owner: owner}, nil
		}
		var r struct {
			hash, state, owner, paymentID, headers, body string
			lease                                        int64
			status                                       int
		}
		err = q.QueryRowContext(ctx, `SELECT request_hash, state, owner, lease_until, payment_id, response_status, response_headers, response_body
			FROM idempotency_keys WHERE app_id = $1 AND idem_key = $2`, appID, key).
			Scan(&r.hash, &r.state, &r.owner, &r.lease, &r.paymentID, &r.status, &r.headers, &r.body)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released meanwhile: try to insert again
		}
		if err != nil {
			return reservation{}, err
		}
		live := r.lease > now.UnixNano()
		switch {
		case r.hash != hash:
			return reservation{outcome: mismatch}, nil
		case r.state == keyDone:
			resp, err := decodeResponse(r.status, r.headers, r.body)
			return reservation{outcome: replay, paymentID: r.paymentID, response: resp}, err
		case live:
			return reservation{outcome: inFlight}, nil
		case r.state == keyExecuted:
			// The first request created the payment but never stored its response
			// (crashed while answering): replay the payment without stored bytes.
			return reservation{outcome: replay, paymentID: r.paymentID}, nil
		}
		// An expired in_progress reservation: take it over, unless someone else did.
		res, err = q.ExecContext(ctx, `UPDATE idempotency_keys SET owner = $1, lease_until = $2, updated_at = $3
			WHERE app_id = $4 AND idem_key = $5 AND owner = $6 AND state = $7`,
			owner, now.Add(lease).UnixNano(), now.UnixNano(), appID, key, r.owner, keyInProgress)
		if err != nil {
			return reservation{}, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return reservation{}, err
		} else if n == 1 {
			return reservation{outcome: reserved, owner: owner}, nil
		}
	}
	return reservation{outcome: inFlight}, nil
}

// errLostReservation: the lease expired and another request took the key over.
var errLostReservation = errors.New("idempotency reservation lost")

// complete marks the reservation executed in tx, the transaction that creates the
// payment, so the payment and the key's state commit together.
func complete(ctx context.Context, tx querier, appID, key, owner, paymentID string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET state = $1, payment_id = $2, updated_at = $3
		WHERE app_id = $4 AND idem_key = $5 AND owner = $6 AND state = $7`,
		keyExecuted, paymentID, now.UnixNano(), appID, key, owner, keyInProgress)
	return heldReservation(res, err)
}

// StoreResponse records the response sent for the request that created the payment of
// (appID, key), so that replays are byte-identical. The first call wins; later calls,
// and calls for a key that created nothing (the request was refused), do nothing.
// Until it is called (or the lease expires), duplicates get 409 IDEMPOTENCY_IN_PROGRESS.
func (s *Service) StoreResponse(ctx context.Context, appID, key string, status int, headers map[string]string, body []byte) error {
	if status < 100 || status > 599 {
		return problem.Internal.Wrap(errors.New("payments: StoreResponse with an invalid HTTP status"))
	}
	// Relaxed (no wait for fsync): the payment itself committed durably before; a stored
	// response lost to a power loss is the case of a process killed before storing it,
	// which Create already handles (Result.Response nil: the replay renders the payment
	// as it stands).
	now := s.clock.Now()
	err := s.store.txRelaxed(ctx, func(tx *sql.Tx) error {
		return storeResponseTx(ctx, s.store.q(tx), s.keyspace(appID), key, StoredResponse{Status: status, Headers: headers, Body: body}, now)
	})
	if err != nil {
		return problem.Internal.Wrap(err)
	}
	return nil
}

// storeResponseTx records r as the answer of (appID, key) in q's transaction, if the key
// created a payment and has no answer yet.
func storeResponseTx(ctx context.Context, q querier, appID, key string, r StoredResponse, now time.Time) error {
	h, body, err := encodeResponse(r)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE idempotency_keys SET state = $1, response_status = $2, response_headers = $3, response_body = $4, updated_at = $5
		WHERE app_id = $6 AND idem_key = $7 AND state = $8`,
		keyDone, r.Status, h, body, now.UnixNano(), appID, key, keyExecuted)
	return err
}

// completeAnswered is complete and storeResponseTx in one write, for a payment created
// under owner's reservation in the transaction that also stores its answer r
// (CreateConfirmedAnswered): the key goes from in_progress straight to done, with the
// payment and the answer — the row complete and storeResponseTx would leave.
func completeAnswered(ctx context.Context, q querier, appID, key, owner, paymentID string, r StoredResponse, now time.Time) error {
	h, body, err := encodeResponse(r)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE idempotency_keys SET state = $1, payment_id = $2, response_status = $3, response_headers = $4,
		response_body = $5, updated_at = $6 WHERE app_id = $7 AND idem_key = $8 AND owner = $9 AND state = $10`,
		keyDone, paymentID, r.Status, h, body, now.UnixNano(), appID, key, owner, keyInProgress)
	return heldReservation(res, err)
}

// heldReservation is the outcome of an UPDATE of a reservation by its owner:
// errLostReservation when it changed no row.
func heldReservation(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errLostReservation
	}
	return nil
}

// encodeResponse is r's headers and body as the idempotency_keys row keeps them.
func encodeResponse(r StoredResponse) (headers, body string, err error) {
	h, err := json.Marshal(r.Headers) // map keys are sorted: deterministic
	if err != nil {
		return "", "", err
	}
	return string(h), base64.StdEncoding.EncodeToString(r.Body), nil
}

// LookupResponse returns the stored response for (appID, key), if there is one.
func (s *Service) LookupResponse(ctx context.Context, appID, key string) (*StoredResponse, bool, error) {
	var status int
	var headers, body string
	err := s.store.DB.QueryRowContext(ctx, `SELECT response_status, response_headers, response_body FROM idempotency_keys
		WHERE app_id = $1 AND idem_key = $2 AND state = $3`, s.keyspace(appID), key, keyDone).Scan(&status, &headers, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, problem.Internal.Wrap(err)
	}
	r, err := decodeResponse(status, headers, body)
	if err != nil {
		return nil, false, problem.Internal.Wrap(err)
	}
	return r, true, nil
}

func decodeResponse(status int, headers, body string) (*StoredResponse, error) {
	r := &StoredResponse{Status: status, Headers: map[string]string{}}
	if headers != "" {
		if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
			return nil, err
		}
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, err
	}
	r.Body = b
	return r, nil
}
