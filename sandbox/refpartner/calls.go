package refpartner

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jr0185/harness/sandbox/protocol"
	"github.com/jr0185/harness/sandbox/sdk"
	"github.com/jr0185/harness/steps/driver"
)

// Codes the bank answers when the user's authorization is gone for good: the partner
// stops calling for that user until they link again.
var relinkCodes = map[string]bool{"CONSENT_REVOKED": true, "CONSENT_EXPIRED": true, "TOKEN_REVOKED": true,
	"TOKEN_INVALID": true, "REFRESH_TOKEN_INVALID": true, "REFRESH_TOKEN_REUSED": true, "CONSENT_NOT_FOUND": true}

func (p *Partner) sdkClient() (*sdk.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return nil, fail(driver.CodeInvalid, "%v", errNotConfigured)
	}
	return p.client, nil
}

// send makes one call with the partner's retry policy: a GET, or a request with an
// Idempotency-Key, is retried (Options.Attempts in all) on 429, 503, 409
// IDEMPOTENCY_IN_PROGRESS and transport errors, after Retry-After (bounded by
// Options.MaxRetryAfter: a longer wait ends the action); each attempt is re-signed with
// a fresh nonce and the same key. An answer that fails verification is not used
// (integrity_failure, alarm). The answer it returns is verified and 2xx; error answers
// become *driver.Error (bank_error with the catalogued code) — except that apiErr gives
// the caller the verified error answer for codes it handles itself.
func (p *Partner) send(ctx context.Context, method, path string, body []byte, header http.Header) (*sdk.Response, error) {
	client, err := p.sdkClient()
	if err != nil {
		return nil, err
	}
	retryable := method == http.MethodGet || header.Get(protocol.HeaderIdempotKey) != ""
	if p.is(GlobalCircuit) && client.CircuitOpen() {
		return nil, fail(driver.CodeCircuitOpen, "circuit open after repeated failures: not calling the bank")
	}
	for attempt := 1; ; attempt++ {
		r, err := client.Do(ctx, method, path, body, header)
		p.noticeCircuit(client, method, path)
		switch {
		case errors.Is(err, sdk.ErrCircuitOpen):
			return nil, fail(driver.CodeCircuitOpen, "circuit open after repeated failures: not calling the bank")
		case errors.Is(err, sdk.ErrIntegrity) && p.actsOnUnverified(r, path):
			// mutants that use an answer failing verification: use it anyway
		case errors.Is(err, sdk.ErrIntegrity):
			p.alarm("integrity failure on %s %s: %s; the answer was not used", method, trimQuery(path), strings.TrimPrefix(err.Error(), sdk.ErrIntegrity.Error()+": "))
			return nil, fail(driver.CodeIntegrity, "the bank's answer to %s %s failed verification: %v", method, trimQuery(path), err)
		case err != nil:
			if retryable && attempt < p.opts.Attempts && ctx.Err() == nil {
				p.pause(ctx, backoff(attempt))
				if p.is(NewKeyAfterTimeout) && header.Get(protocol.HeaderIdempotKey) != "" {
					header.Set(protocol.HeaderIdempotKey, newIdempotencyKey())
				}
				continue
			}
			return nil, fail(driver.CodeInternal, "calling the bank: %s", callError(err))
		}
		code := bankCode(r)
		again := r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable ||
			(r.Status == http.StatusConflict && code == "IDEMPOTENCY_IN_PROGRESS")
		if !again {
			if r.Status >= 400 {
				return r, &bankError{r: r, code: code}
			}
			return r, nil
		}
		wait := retryAfter(r, attempt)
		if client.CircuitOpenFor(method, path) { // this failure opened the circuit: no point waiting to be refused
			return nil, fail(driver.CodeCircuitOpen, "circuit open after repeated failures (last answer HTTP %d %s): not calling the bank", r.Status, code)
		}
		if !retryable || attempt >= p.opts.Attempts || wait > p.opts.MaxRetryAfter {
			if r.Status == http.StatusTooManyRequests {
				return r, fail(driver.CodeRateLimited, "the bank answered 429 %s (Retry-After %s); giving up after %d attempts", code, r.Header.Get("Retry-After"), attempt)
			}
			return r, &bankError{r: r, code: code}
		}
		if !p.is(IgnoresRetryAfter) {
			p.pause(ctx, wait)
		}
		if p.is(NewIdempotencyKeyOnRetry) && header.Get(protocol.HeaderIdempotKey) != "" {
			header.Set(protocol.HeaderIdempotKey, newIdempotencyKey())
		}
	}
}

// actsOnUnverified: the mutants that use answers failing verification — all of them,
// unsigned ones, those of one kind, or those under a serial they cannot resolve.
func (p *Partner) actsOnUnverified(r *sdk.Response, path string) bool {
	if r == nil {
		return false
	}
	path = trimQuery(path)
	switch {
	case p.is(IgnoreSignatures):
		return true
	case p.is(AcceptUnsigned):
		return r.Header.Get(protocol.HeaderSignature) == ""
	case p.is(SkipVerifyPayments):
		return path == "/a2/v1/payments" || strings.HasPrefix(path, "/a2/v1/payments/")
	case p.is(SkipVerifyToken):
		return path == "/a2/v1/oauth/token" || path == "/a2/v1/oauth/revoke"
	case p.is(SkipVerifyErrors):
		return r.Status >= 400
	case p.is(AcceptUnknownSerial):
		return p.verifiesUnderAnotherKey(r.Header, r.Body)
	}
	return false
}

// verifiesUnderAnotherKey is the accept-unknown-serial mutant's fallback: an answer or
// notification naming a serial the partner was not configured with is checked against
// every bank key it was configured with, and taken if one verifies it.
func (p *Partner) verifiesUnderAnotherKey(h http.Header, body []byte) bool {
	p.mu.Lock()
	keys := p.bankKeys
	p.mu.Unlock()
	if _, known := keys[h.Get(protocol.HeaderSerial)]; known {
		return false
	}
	msg := protocol.ResponseStringToSign(h.Get(protocol.HeaderTimestamp), h.Get(protocol.HeaderNonce), body)
	for _, k := range keys {
		if protocol.VerifySM2(k, msg, h.Get(protocol.HeaderSignature)) {
			return true
		}
	}
	return false
}

// noticeCircuit raises an alarm when the circuit of an endpoint has just opened
// (10.1.2/2b), naming the endpoint (10.1.2/2: the fault identified and isolated).
func (p *Partner) noticeCircuit(c *sdk.Client, method, path string) {
	key := sdk.EndpointKey(method, path)
	open := c.CircuitOpenFor(method, path)
	p.mu.Lock()
	if p.openCircuits == nil {
		p.openCircuits = map[string]bool{}
	}
	opened := open && !p.openCircuits[key]
	p.openCircuits[key] = open
	p.mu.Unlock()
	if opened {
		p.alarm("circuit breaker opened for %s after %d consecutive failed calls; calls to it stop for %s, other interfaces stay in use",
			key, p.opts.BreakerThreshold, p.opts.BreakerOpenFor)
	}
}

func (p *Partner) pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func backoff(attempt int) time.Duration { return time.Duration(attempt) * 200 * time.Millisecond }

// retryAfter is the wait the bank asked for (seconds), or a short backoff.
func retryAfter(r *sdk.Response, attempt int) time.Duration {
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return backoff(attempt)
}

func trimQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// bankError is a verified error answer of the bank.
type bankError struct {
	r    *sdk.Response
	code string
}

func (e *bankError) Error() string {
	return "bank answered HTTP " + strconv.Itoa(e.r.Status) + " " + e.code + " (request " + e.r.RequestID + ")"
}

// asDriver turns any error of send into the partner's answer.
func asDriver(err error) error {
	var be *bankError
	if errors.As(err, &be) {
		if relinkCodes[be.code] {
			return fail(driver.CodeRelinkRequired, "%s: the user must link again", be.code)
		}
		return fail(driver.CodeBankError, "%s", be.Error())
	}
	return err
}

// userCall calls an A2 API for the linked user with their access token. An expired
// token is refreshed once and the call retried; a refused refresh, a revoked or expired
// consent or a revoked token stops the partner calling for that user
// (relink_required, alarm) — it never hammers the bank for a user who is gone.
func (p *Partner) userCall(ctx context.Context, method, path string) (*sdk.Response, error) {
	p.mu.Lock()
	u := p.user
	p.mu.Unlock()
	if u == nil && !p.is(CallsBeforeConsent) {
		return nil, fail(driver.CodeNotLinked, "no user has linked accounts yet (9.3.2/1b): not calling the bank")
	}
	if u == nil {
		u = &user{} // mutant calls-before-consent: call without a token
	}
	if u.stopped != "" && !p.is(HammersAfterRevocation) {
		return nil, fail(driver.CodeRelinkRequired, "%s: the user must link again; not calling the bank", u.stopped)
	}
	r, err := p.send(ctx, method, path, nil, http.Header{sdk.HeaderAccessToken: {u.access}})
	var be *bankError
	if !errors.As(err, &be) {
		return r, err
	}
	switch {
	case be.code == "TOKEN_EXPIRED" && u.refresh != "" && !p.is(NoTokenRefresh):
		if rerr := p.refresh(ctx, u); rerr != nil {
			return nil, rerr
		}
		r, err = p.send(ctx, method, path, nil, http.Header{sdk.HeaderAccessToken: {u.access}})
		if errors.As(err, &be) && relinkCodes[be.code] {
			return nil, p.stop(u, be.code)
		}
		return r, asDriver(err)
	case be.code == "TOKEN_EXPIRED":
		return nil, p.stop(u, be.code)
	case relinkCodes[be.code] && p.is(HammersAfterRevocation):
		for i := 0; i < hammerAttempts; i++ {
			if _, err = p.send(ctx, method, path, nil, http.Header{sdk.HeaderAccessToken: {u.access}}); !errors.As(err, &be) || !relinkCodes[be.code] {
				return nil, asDriver(err)
			}
		}
		return nil, fail(driver.CodeRelinkRequired, "%s: the user must link again", be.code)
	case relinkCodes[be.code]:
		return nil, p.stop(u, be.code)
	}
	return r, asDriver(err)
}

// stop marks the user's authorization as gone.
func (p *Partner) stop(u *user, why string) error {
	p.mu.Lock()
	u.stopped = why
	p.mu.Unlock()
	p.alarm("user authorization unusable (%s): calls for this user stop until they link again", why)
	return fail(driver.CodeRelinkRequired, "%s: the user must link again", why)
}

// refresh exchanges the user's refresh token once.
func (p *Partner) refresh(ctx context.Context, u *user) error {
	t, err := p.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {u.refresh}})
	if err != nil {
		var de *driver.Error
		if errors.As(err, &de) && (de.Code == driver.CodeBankError || de.Code == driver.CodeRelinkRequired) {
			return p.stop(u, "refresh refused")
		}
		return err
	}
	p.mu.Lock()
	u.access, u.refresh = t.AccessToken, t.RefreshToken
	p.mu.Unlock()
	p.logger.Info("access token refreshed")
	return nil
}

// token calls the token endpoint (an A2 call: mTLS + SM2 signature; the answer is
// verified like any other).
func (p *Partner) token(ctx context.Context, form url.Values) (*sdk.Token, error) {
	r, err := p.send(ctx, http.MethodPost, "/a2/v1/oauth/token", []byte(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if err != nil {
		return nil, asDriver(err)
	}
	var t sdk.Token
	if err := jsonUnmarshal(r.Body, &t); err != nil || t.AccessToken == "" {
		return nil, fail(driver.CodeInternal, "the token answer has no access_token")
	}
	return &t, nil
}
