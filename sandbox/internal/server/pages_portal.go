package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/consent"
	"github.com/jr0185/harness/sandbox/internal/money"
	"github.com/jr0185/harness/sandbox/internal/pii"
)

// The customer portal: every authorization the customer gave, and the channel to close
// a partner's access (JR/T 0185-2020 9.3.2/2: 为用户提供关闭…相关服务的申请渠道).

type pgConsentRow struct {
	ID, AppName, AppID  string
	Kind                string
	Scopes              []pgScope
	Accounts            []string // masked
	Created, Expires    string
	Status, StatusZh    string
	Revoked, RevokedBy  string
	Amount, PayeeMasked string
	CanRevoke           bool
}

type pgPortalView struct {
	pgBase
	CSRF     string
	Consents []pgConsentRow
	Msg      *pgMsg
}

func pgStatusZh(st consent.Status) string {
	switch st {
	case consent.StatusActive:
		return "有效"
	case consent.StatusRevoked:
		return "已撤销"
	case consent.StatusExpired:
		return "已过期"
	case consent.StatusUsed:
		return "已使用"
	}
	return string(st)
}

func pgRevokedByZh(by string) string {
	switch by {
	case consent.ByUser:
		return "您本人"
	case consent.ByPartner:
		return "应用方"
	case consent.ByBank:
		return "本行"
	}
	return by
}

// userPortal: GET /portal — the customer's authorizations, newest first.
func (s *Server) userPortal(c *fiber.Ctx) error {
	sess, tok, err := s.userSession(c)
	if err != nil {
		if pgNeedsLogin(err) {
			return s.userRelogin(c, "/portal", err)
		}
		return s.userError(c, err)
	}
	list, err := s.d.Consent.ListConsents(c.UserContext(), sess.CustomerID)
	if err != nil {
		return s.userError(c, err)
	}
	v := pgPortalView{pgBase: s.pgBase(c, "我的授权", "My authorizations"), CSRF: pgCSRF(tok)}
	pgLoggedIn(&v.pgBase, sess, tok)
	for _, cs := range list {
		row := pgConsentRow{ID: cs.ID, AppName: cs.AppName, AppID: cs.AppID, Scopes: pgScopes(cs.Scopes),
			Created: pgTime(cs.CreatedAt), Expires: pgTime(cs.ExpiresAt), Status: string(cs.Status),
			StatusZh: pgStatusZh(cs.Status), Revoked: pgTime(cs.RevokedAt), RevokedBy: pgRevokedByZh(cs.RevokedBy),
			CanRevoke: cs.Status == consent.StatusActive, Kind: "账户信息查询（阶段性有效）"}
		if cs.Kind == consent.KindPayment {
			row.Kind = "单笔支付（单次有效）"
			if p := cs.Payment; p != nil {
				row.Amount, row.PayeeMasked = money.Format(p.AmountFen)+" "+p.Currency, p.PayeeMasked
			}
		}
		for _, n := range cs.Accounts {
			row.Accounts = append(row.Accounts, pii.MaskCard(n))
		}
		v.Consents = append(v.Consents, row)
	}
	if pgQuery(c, "revoked") == "1" {
		v.Msg = &pgMsg{Kind: "info", Zh: "授权已撤销，该应用已无法再使用此授权访问您的账户。",
			En: "The authorization was revoked: the app can no longer use it."}
	}
	return s.pgRender(c, fiber.StatusOK, "user_portal.html", v)
}

// userRevoke: POST /portal/consents/:id/revoke — the consent and every token issued
// under it stop working at once.
func (s *Server) userRevoke(c *fiber.Ctx) error {
	tok := pgCookie(c, pgSessionCookie)
	if !pgCSRFOK(tok, pgForm(c, "csrf")) {
		return s.userFormRefused(c)
	}
	sess, _, err := s.userSession(c)
	if err != nil {
		if pgNeedsLogin(err) {
			return s.userRelogin(c, "/portal", err)
		}
		return s.userError(c, err)
	}
	if err := s.d.Consent.RevokeConsent(c.UserContext(), sess.CustomerID, pgClip(strings.Clone(c.Params("id")), 64)); err != nil {
		return s.userError(c, err)
	}
	return pgSeeOther(c, "/portal?revoked=1")
}
