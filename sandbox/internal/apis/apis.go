// Package apis is the bank's API catalogue: every API with its API_ID, its U_API_ID per
// annex B, level, scope, parameters and lifecycle state (JR/T 0185-2020 12.1, annex B,
// 7.1/6, 10.3, 11). The gateway reads it to route, authorize and validate; the served
// catalogue and documentation are rendered from it.
package apis

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jr0185/harness/sandbox/internal/mutant"
	"github.com/jr0185/harness/sandbox/protocol"
)

// Level of an API (6.2).
type Level string

// Levels.
const (
	A1 Level = "A1"
	A2 Level = "A2"
)

// Param is one accepted request parameter.
type Param struct {
	Name     string   `json:"name"`
	In       string   `json:"in"` // query | path
	Required bool     `json:"required"`
	Doc      string   `json:"description"`
	Enum     []string `json:"enum,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Min, Max int      `json:"-"` // integer bounds when Int
	Int      bool     `json:"-"`
	re       *regexp.Regexp
}

// Validate checks one parameter value (7.2.2/1: 参数格式与平台设计保持一致).
func (p *Param) Validate(v string) error {
	if len(v) > 128 {
		return fmt.Errorf("%s is longer than 128 characters", p.Name)
	}
	if p.Int {
		n, err := strconv.Atoi(v)
		if err != nil || n < p.Min || n > p.Max {
			return fmt.Errorf("%s must be an integer from %d to %d", p.Name, p.Min, p.Max)
		}
		return nil
	}
	if len(p.Enum) > 0 {
		for _, e := range p.Enum {
			if v == e {
				return nil
			}
		}
		return fmt.Errorf("%s must be one of %s", p.Name, strings.Join(p.Enum, ", "))
	}
	if p.re != nil && !p.re.MatchString(v) {
		return fmt.Errorf("%s must match %s", p.Name, p.Pattern)
	}
	return nil
}

// API is one catalogued API.
type API struct {
	ID       string `json:"api_id"`   // the bank's own API_ID (3.3), e.g. a1.products.list
	UAPIID   string `json:"u_api_id"` // 24-character uniform ID (annex B)
	Method   string `json:"method"`
	Path     string `json:"path"` // route template, e.g. /a1/v1/products/:code
	Version  string `json:"version"`
	Level    Level  `json:"level"`
	Scope    string `json:"scope"`
	Summary  string `json:"summary"`
	Category string `json:"service_category"` // B.3.5 first-level name
	// ServiceType and ServiceSubtype are the first- and second-level identifiers of the
	// U_API_ID's service category with their names (B.3.5, table B.2).
	ServiceType    ServiceClass `json:"service_type"`
	ServiceSubtype ServiceClass `json:"service_subtype"`
	Params         []Param      `json:"parameters"`
	// UserToken: the call acts for a user and needs the user's access token
	// (X-JR-Access-Token) from a consent given at the bank (9.3.2/1b).
	UserToken bool `json:"user_token"`
	// Idempotent: retries with the same Idempotency-Key get the first answer, even after
	// a single-use consent behind it was spent.
	Idempotent bool `json:"idempotent"`
}

// Family is the path prefix that selects the level ("/a1" or "/a2").
func (a API) Family() string { return "/" + strings.ToLower(string(a.Level)) }

// Param returns the named parameter spec.
func (a API) Param(name, in string) (*Param, bool) {
	for i := range a.Params {
		if a.Params[i].Name == name && a.Params[i].In == in {
			return &a.Params[i], true
		}
	}
	return nil, false
}

// ServiceClass is one level of a service category: its code and name.
type ServiceClass struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// subcategoryNames are the bank's second-level identifiers (B.3.5: numbered from 0001
// within each first level).
var subcategoryNames = map[string]string{
	"010001": "账户信息 account information",
	"020001": "支付 payments",
	"030001": "金融产品信息 financial product information",
	"030002": "存款利率 deposit rates",
	"030003": "产品持有 product holdings",
	"080001": "授权令牌 authorization tokens",
}

// Service categories (B.3.5 first level).
var categoryNames = map[string]string{
	"01": "账户服务 account services", "02": "支付结算 payment and settlement", "03": "投资理财 investment and wealth",
	"04": "信贷 credit", "05": "信用卡 credit cards", "06": "行业服务 industry services", "07": "国际业务 international", "08": "科技服务 technology services",
}

// SupportedVersions per family; anything else is API_VERSION_UNSUPPORTED.
var SupportedVersions = map[string][]string{"/a1": {"v1"}, "/a2": {"v1"}}

// Catalogue is the set of APIs for one institution code.
type Catalogue struct {
	Institution string
	APIs        []API
	byID        map[string]*API
	scopes      map[string]bool
}

type def struct {
	id, method, path string
	level            Level
	category         string // six digits
	seq              int
	scope, summary   string
	params           []Param
}

var pageParams = []Param{
	{Name: "page", In: "query", Doc: "Page number, from 1", Int: true, Min: 1, Max: 100000},
	{Name: "page_size", In: "query", Doc: "Items per page, 1 to 100 (default 20)", Int: true, Min: 1, Max: 100},
}

// definitions is the catalogue. Category codes follow B.3.5: first level (2 digits) +
// second level (4 digits); sequences follow B.3.6 within (institution, level, category).
var definitions = []def{
	{"a1.products.list", "GET", "/a1/v1/products", A1, "030001", 1, "products:read",
		"List financial products (deposits, wealth management, funds, loans) with filters and pagination",
		append([]Param{
			{Name: "category", In: "query", Doc: "Product category", Enum: []string{"deposit", "wealth", "fund", "loan"}},
			{Name: "risk_level", In: "query", Doc: "Risk level R1 (lowest) to R5", Enum: []string{"R1", "R2", "R3", "R4", "R5"}},
			{Name: "currency", In: "query", Doc: "ISO 4217 currency code", Pattern: `^[A-Z]{3}$`},
			{Name: "status", In: "query", Doc: "Sale status", Enum: []string{"on_sale", "sold_out", "closed"}},
		}, pageParams...)},
	{"a1.products.get", "GET", "/a1/v1/products/:code", A1, "030001", 2, "products:read",
		"Get one financial product by code",
		[]Param{{Name: "code", In: "path", Required: true, Doc: "Product code, e.g. DEP0001", Pattern: `^[A-Z]{3}[0-9]{4}$`}}},
	{"a1.rates.deposit", "GET", "/a1/v1/deposit-rates", A1, "030002", 1, "rates:read",
		"List the bank's published deposit rates by term (from the deposit products on sale)",
		[]Param{{Name: "currency", In: "query", Doc: "ISO 4217 currency code", Pattern: `^[A-Z]{3}$`}}},

	// A2: OAuth token service (08 technology services).
	{"a2.oauth.token", "POST", "/a2/v1/oauth/token", A2, "080001", 1, "oauth:token",
		"Exchange an authorization code (PKCE) or a refresh token for a certificate-bound access token", nil},
	{"a2.oauth.revoke", "POST", "/a2/v1/oauth/revoke", A2, "080001", 2, "oauth:token",
		"Revoke an access or refresh token", nil},
	// A2: account information (01 account services).
	{"a2.accounts.list", "GET", "/a2/v1/accounts", A2, "010001", 1, "accounts:read",
		"List the accounts the user consented to share (numbers masked)", nil},
	{"a2.accounts.get", "GET", "/a2/v1/accounts/:account_id", A2, "010001", 2, "accounts:read",
		"Get one consented account", []Param{accountIDParam}},
	{"a2.accounts.balance", "GET", "/a2/v1/accounts/:account_id/balance", A2, "010001", 3, "balances:read",
		"Get the balance of a consented account", []Param{accountIDParam}},
	{"a2.accounts.transactions", "GET", "/a2/v1/accounts/:account_id/transactions", A2, "010001", 4, "transactions:read",
		"List the transactions of a consented account, newest first",
		append([]Param{accountIDParam,
			{Name: "from", In: "query", Doc: "Earliest time, RFC 3339 (inclusive)", Pattern: timePattern},
			{Name: "to", In: "query", Doc: "Latest time, RFC 3339 (exclusive)", Pattern: timePattern},
		}, pageParams...)},
	{"a2.accounts.limits", "GET", "/a2/v1/accounts/:account_id/limits", A2, "010001", 5, "limits:read",
		"Get the per-transaction and daily limits of a consented account", []Param{accountIDParam}},
	// A2: payments (02 payment and settlement).
	{"a2.payments.create", "POST", "/a2/v1/payments", A2, "020001", 1, "payments:write",
		"Create a payment the user consented to at the bank; requires Idempotency-Key; payee encrypted to the bank's encryption key", nil},
	{"a2.payments.get", "GET", "/a2/v1/payments/:payment_id", A2, "020001", 2, "payments:read",
		"Get the status of one of this app's payments",
		[]Param{{Name: "payment_id", In: "path", Required: true, Doc: "Payment id from create", Pattern: `^PAY[A-Z2-9]{20}$`}}},
	// A2: product holdings (03 investment), returned encrypted to the partner (7.2.2/3c).
	{"a2.holdings.list", "GET", "/a2/v1/holdings", A2, "030003", 1, "holdings:read",
		"List the user's product holdings on consented accounts, encrypted to the partner's encryption key", nil},
}

// appScoped A2 APIs act for the app, not for a user: the token service, and payment
// status, which must stay readable after the single-use consent is spent (only the
// app's own payments are visible).
var appScoped = map[string]bool{"a2.oauth.token": true, "a2.oauth.revoke": true, "a2.payments.get": true}

var accountIDParam = Param{Name: "account_id", In: "path", Required: true, Doc: "Opaque account id from the account list", Pattern: `^ac_[0-9a-f]{24}$`}

const timePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

// New builds the catalogue for an institution code and checks every U_API_ID against annex B.
func New(institution string) (*Catalogue, error) { return Build(institution, mutant.Set{}) }

// Build is New for a bank that may run a mutant: the bad-uapiid mutant breaks the
// annex B generator (one rule per API) and skips the check that would refuse it.
func Build(institution string, m mutant.Set) (*Catalogue, error) {
	c := &Catalogue{Institution: institution, byID: map[string]*API{}, scopes: map[string]bool{}}
	seen := map[string]string{}
	for _, d := range definitions {
		level := protocol.LevelCodeA1
		if d.level == A2 {
			level = protocol.LevelCodeA2
		}
		u := protocol.UAPIID{Institution: institution, Level: level, Category: d.category,
			Sequence: fmt.Sprintf("%06d", d.seq), Reserved: "00"}
		id := u.String()
		if m.Is(mutant.BadUAPIID) {
			id = badUAPIID(len(c.APIs), u)
		} else if _, err := protocol.ParseUAPIID(id); err != nil {
			return nil, fmt.Errorf("api %s: %w", d.id, err)
		}
		if other, dup := seen[id]; dup {
			return nil, fmt.Errorf("api %s: U_API_ID %s already used by %s", d.id, id, other)
		}
		seen[id] = d.id
		params := make([]Param, len(d.params))
		copy(params, d.params)
		for i := range params {
			if params[i].Pattern != "" {
				params[i].re = regexp.MustCompile(params[i].Pattern)
			}
		}
		c.APIs = append(c.APIs, API{ID: d.id, UAPIID: id, Method: d.method, Path: d.path,
			Version: strings.Split(d.path, "/")[2], Level: d.level, Scope: d.scope, Summary: d.summary,
			Category:       categoryNames[d.category[:2]],
			ServiceType:    ServiceClass{Code: d.category[:2], Name: categoryNames[d.category[:2]]},
			ServiceSubtype: ServiceClass{Code: d.category[2:], Name: subcategoryNames[d.category]},
			Params:         params,
			UserToken:      d.level == A2 && !appScoped[d.id], Idempotent: d.id == "a2.payments.create"})
	}
	for i := range c.APIs {
		c.byID[c.APIs[i].ID] = &c.APIs[i]
		c.scopes[c.APIs[i].Scope] = true
	}
	return c, nil
}

// ByID finds an API.
func (c *Catalogue) ByID(id string) (*API, bool) {
	a, ok := c.byID[id]
	return a, ok
}

// KnownScope reports whether any API uses scope.
func (c *Catalogue) KnownScope(scope string) bool { return c.scopes[scope] }

// Scopes lists every scope.
func (c *Catalogue) Scopes() []string {
	var out []string
	for _, a := range c.APIs {
		if !contains(out, a.Scope) {
			out = append(out, a.Scope)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// badUAPIID is the bad-uapiid mutant's generator: the i-th API's U_API_ID breaks one
// rule of annex B each, the way hand-made identifiers go wrong.
func badUAPIID(i int, u protocol.UAPIID) string {
	switch i {
	case 0:
		return "OQ" + u.String()[2:] // B.3.2: fixed field not OP
	case 1:
		return u.String() + "0" // B.2: 25 characters
	case 2:
		u.Level = "A1" // B.3.4: not a two-digit type code
	case 3:
		u.Level = "00" // B.3.4: reserved type
	case 4:
		u.Institution = "C99998" // B.3.3: not the bank's institution code
	case 5:
		u.Category = "00" + u.Category[2:] // B.3.5: reserved first level
	case 6:
		u.Category = u.Category[:5] + "A" // B.3.5: not six digits
	case 7:
		u.Category = u.Category[:2] + "0000" // B.3.5: reserved second level
	case 8:
		u.Sequence = "000009" // B.3.6: a gap in the sequence
	case 9:
		u.Reserved = "01" // B.3.7: reserved field not 00
	case 10:
		u.Category = "05" + u.Category[2:] // B.3.5: first level contradicts the service type
	}
	return u.String()
}
