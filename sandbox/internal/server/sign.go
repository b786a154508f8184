package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/gateway"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/protocol"
)

// signResponse signs every API response, errors included, with the bank's SM2 key over
// timestamp, nonce and body (JR/T 0185-2020 7.2.2/2, 9.2.2/1-2). When the request was
// MAC-authenticated (A1), the same string is also MACed with the app's key so that a
// partner without SM2 can check integrity.
func (s *Server) signResponse(c *fiber.Ctx, adm *gateway.Admission) {
	if s.d.Mutant.Is(mutant.UnsignedResponses) {
		return
	}
	ts := protocol.Timestamp(time.Now())
	nonce := protocol.NewNonce()
	msg := protocol.ResponseStringToSign(ts, nonce, c.Response().Body())
	key := s.d.Signer.Get()
	sig, err := protocol.SignSM2(key.Priv, msg)
	if err != nil {
		s.d.Log.Error("response signing failed", "request_id", requestID(c), "err", err)
		return
	}
	c.Set(protocol.HeaderTimestamp, ts)
	c.Set(protocol.HeaderNonce, nonce)
	c.Set(protocol.HeaderSignature, sig)
	c.Set(protocol.HeaderSerial, key.Serial)
	if adm != nil && adm.MACKey != nil {
		c.Set(protocol.HeaderMAC, protocol.MACBase64(adm.MACKey, msg))
	}
}
