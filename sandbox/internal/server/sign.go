package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/faults"
	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/problem"
	"github.com/jr0185/harness/sandbox/protocol"
)

// signResponse signs every API response, errors included, with the bank's SM2 key over
// timestamp, nonce and body (JR/T 0185-2020 7.2.2/2, 9.2.2/1-2). When the request was
// MAC-authenticated (A1), the same string is also MACed with the app's key so that a
// partner without SM2 can check integrity.
func (s *Server) signResponse(c *fiber.Ctx, adm *gateway.Admission) {
	if s.d.Mutant.Is(mutant.UnsignedRefusals) && c.Response().StatusCode() >= 400 && c.Response().StatusCode() < 500 {
		return
	}
	sig, err := s.responseSignature(c.Response().Body())
	if err != nil {
		s.d.Log.Error("response signing failed", "request_id", requestID(c), "err", err)
		return
	}
	for k, v := range sig {
		c.Set(k, v)
	}
	s.macResponse(c, adm)
}

// macResponse adds the A1 response MAC (when the request was MAC-authenticated) over
// the string the response signature covers.
func (s *Server) macResponse(c *fiber.Ctx, adm *gateway.Admission) {
	h := &c.Response().Header
	ts, nonce := string(h.Peek(protocol.HeaderTimestamp)), string(h.Peek(protocol.HeaderNonce))
	if adm != nil && adm.MACKey != nil && ts != "" {
		c.Set(protocol.HeaderMAC, protocol.MACBase64(adm.MACKey, protocol.ResponseStringToSign(ts, nonce, c.Response().Body())))
	}
}

// responseSignature returns the signature headers of a response with body: timestamp,
// nonce, the SM2 signature over them and the body, and the signing key's serial (none
// for the unsigned-responses mutant).
func (s *Server) responseSignature(body []byte) (map[string]string, error) {
	if s.d.Mutant.Is(mutant.UnsignedResponses) {
		return nil, nil
	}
	ts, nonce, serial, sig, err := s.signBody(body)
	if err != nil {
		return nil, err
	}
	return map[string]string{protocol.HeaderTimestamp: ts, protocol.HeaderNonce: nonce,
		protocol.HeaderSignature: sig, protocol.HeaderSerial: serial}, nil
}

// signBody signs body as the bank signs its answers: a fresh timestamp and nonce, and
// the SM2 signature over them and the body with the current key (of that serial).
func (s *Server) signBody(body []byte) (ts, nonce, serial, sig string, err error) {
	ts, nonce = protocol.Timestamp(time.Now()), protocol.NewNonce()
	key := s.d.Signer.Get()
	sig, err = protocol.SignSM2(key.Priv, protocol.ResponseStringToSign(ts, nonce, body))
	return ts, nonce, key.Serial, sig, err
}

// replaceAnswer discards the answer written so far (already signed and, for an
// idempotent call, stored) and writes a signed problem instead: the lose-response fault,
// a sandbox test control of the partner-side suite (the partner must retry with the
// same Idempotency-Key and get the stored answer).
func (s *Server) replaceAnswer(c *fiber.Ctx, perr *problem.Error, adm *gateway.Admission) {
	h := &c.Response().Header
	for _, k := range append(signedHeaders, protocol.HeaderMAC, "Idempotent-Replayed", "Location") {
		h.Del(k)
	}
	c.Response().ResetBody()
	_ = s.renderProblem(c, perr)
	s.signResponse(c, adm)
}

// mangle spoils a signed answer the way an adversary bank, an on-path attacker or a
// broken proxy would (the spoiling faults: tamper-body, tamper-signature,
// strip-signature, unknown-serial, retired-key): the partner must not act on it
// (JR/T 0185-2020 9.3.3/1). A stripped answer loses its A1 MAC too.
func (s *Server) mangle(c *fiber.Ctx, k faults.Kind) {
	if !faults.Spoils(k) {
		return
	}
	h := &c.Response().Header
	m := faults.Signed{Body: c.Response().Body(), Timestamp: string(h.Peek(protocol.HeaderTimestamp)),
		Nonce: string(h.Peek(protocol.HeaderNonce)), Signature: string(h.Peek(protocol.HeaderSignature)), Serial: string(h.Peek(protocol.HeaderSerial))}
	out, err := s.d.Spoiler.Spoil(k, m)
	if err != nil {
		s.d.Log.Error("spoiling an answer failed", "request_id", requestID(c), "kind", string(k), "err", err)
		return
	}
	if k == faults.TamperBody {
		c.Response().SetBody(out.Body)
	}
	for name, v := range map[string]string{protocol.HeaderSignature: out.Signature, protocol.HeaderSerial: out.Serial} {
		if v == "" {
			h.Del(name)
		} else {
			c.Set(name, v)
		}
	}
	if out.Signature == "" {
		h.Del(protocol.HeaderMAC)
	}
}
