package sdk

import (
	"crypto/ecdsa"
	"encoding/json"

	"github.com/jr0185/harness/sandbox/protocol"
)

// PaymentOrder is what POST /a2/v1/payments asks for (in CNY); the payee's account
// number and name travel sealed.
type PaymentOrder struct {
	DebitAccountID string // the payer's account_id, as consented
	Amount         string // in yuan, e.g. "10.00", as consented
	PayeeAccount   string
	PayeeName      string
	Memo           string
}

// SealedPaymentBody builds the body of POST /a2/v1/payments with the payee
// ({"account","name"}) sealed to the bank's encryption key bankEnc under the AAD
// "payee"; serial names the key's certificate ("" when not known). The envelope is
// returned too, for a log.
func SealedPaymentBody(bankEnc *ecdsa.PublicKey, serial string, o PaymentOrder) ([]byte, protocol.Envelope, error) {
	details, err := json.Marshal(map[string]string{"account": o.PayeeAccount, "name": o.PayeeName})
	if err != nil {
		return nil, protocol.Envelope{}, err
	}
	env, err := protocol.Seal(bankEnc, serial, details, []byte("payee"))
	if err != nil {
		return nil, protocol.Envelope{}, err
	}
	body, err := json.Marshal(map[string]any{"debit_account_id": o.DebitAccountID, "amount": o.Amount, "currency": "CNY",
		"payee": map[string]any{"encrypted": env}, "memo": o.Memo})
	return body, env, err
}
