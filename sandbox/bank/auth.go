package bank

import (
	"context"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jr0185/harness/sandbox/internal/apps"
	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/internal/pki"
)

// encryptionKey is the bank's field-encryption key and the certificate it publishes for
// it: a key separate from the signing key (JR/T 0185-2020 7.3.4/1). The shared-bank-key
// mutant bank uses its signing key for both.
func encryptionKey(pk *pki.Bank, m mutant.Set) (*sm2.PrivateKey, []byte) {
	if m.Is(mutant.SharedBankKey) {
		return pk.SignKey, pki.EncodeCertPEM(pk.SignCert.Raw)
	}
	return pk.EncKey, pki.EncodeCertPEM(pk.EncCert.Raw)
}

// secretValidity is the App_Secret validity by API level (JR/T 0185-2020 7.3.4/3: 依据
// 接口等级设置不同的密钥有效期). The uniform-key-validity mutant bank gives A2 apps the A1 period.
func secretValidity(m mutant.Set) map[apps.Level]time.Duration {
	v := map[apps.Level]time.Duration{apps.LevelA1: pki.A1KeyValidity, apps.LevelA2: pki.A2KeyValidity}
	if m.Is(mutant.UniformKeyValidity) {
		v[apps.LevelA2] = v[apps.LevelA1]
	}
	return v
}

// endConsentsAtExit ends an exiting app's customer consents and tokens (JR/T 0185-2020
// 9.4/1: 保障账户、资金、信息安全，充分履行用户告知义务). The exit-keeps-consents mutant
// bank leaves them as they were.
func endConsentsAtExit(appSvc *apps.Service, c *consent.Service, m mutant.Set) {
	if m.Is(mutant.ExitKeepsConsents) {
		return
	}
	appSvc.OnExit(func(ctx context.Context, appID, reason string) error {
		if reason == "" {
			reason = "partner exited"
		}
		_, err := c.EndAllForApp(ctx, appID, "App_ID exited: "+reason)
		return err
	})
}
