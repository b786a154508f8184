package server

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jr0185/harness/sandbox/internal/otp"
	"github.com/jr0185/harness/sandbox/internal/problem"
)

// The simulated phone (sandbox mode only): the latest one-time codes "sent" to a test
// user, so that partners, CI and trainers can finish the two-factor login and payment
// confirmation without an SMS gateway. In production mode the route does not exist.

// TestUserDirectory resolves a test user's username to the customer id whose phone to
// show (implemented by sessions.Service).
type TestUserDirectory interface {
	CustomerID(ctx context.Context, username string) (id string, found bool, err error)
}

func (s *Server) pgTestUsers() TestUserDirectory { return s.d.Sessions }

type pgText struct {
	PurposeZh, Code, Text, Sent, Expires, State, StateClass string
}

type pgPhoneView struct {
	pgBase
	User     string
	Found    bool
	Messages []pgText
}

// userPhone: GET /phone?user=<username> — the simulated phone's inbox, newest first.
func (s *Server) userPhone(c *fiber.Ctx) error {
	user := pgClip(strings.TrimSpace(pgQuery(c, "user")), 64)
	v := pgPhoneView{pgBase: s.pgBase(c, "模拟手机", "Simulated phone"), User: user}
	if user != "" {
		id, found, err := s.pgTestUsers().CustomerID(c.UserContext(), user)
		if err != nil {
			return s.userError(c, problem.Internal.Wrap(err))
		}
		if !found {
			return s.userError(c, problem.AdminNotFound.WithDetail("no test user is called %q", user))
		}
		v.Found = true
		newest := map[string]bool{} // a new code for a purpose supersedes the earlier ones
		for _, m := range s.d.OTP.Inbox(c.UserContext(), id) {
			t := pgText{PurposeZh: "登录验证码", Code: m.Code, Text: m.Text, Sent: pgTimeSec(m), Expires: pgTime(m.ExpiresAt),
				State: "有效 valid", StateClass: "ok"}
			if !otp.IsLogin(m.Purpose) {
				t.PurposeZh = "支付确认码"
			}
			switch {
			case m.Used:
				t.State, t.StateClass = "已使用 used", "off"
			case m.Expired:
				t.State, t.StateClass = "已过期 expired", "off"
			case newest[m.Purpose]:
				t.State, t.StateClass = "已被新验证码取代 superseded", "off"
			}
			newest[m.Purpose] = true
			v.Messages = append(v.Messages, t)
		}
	}
	return s.pgRender(c, fiber.StatusOK, "user_phone.html", v)
}

func pgTimeSec(m otp.Message) string { return m.SentAt.In(pgChinaTime).Format("2006-01-02 15:04:05") }
