package driver

// HelloResult is the partner's public material (the answer to Hello). Private keys never
// leave the partner: the harness registers these public parts with the bank.
type HelloResult struct {
	Name             string `json:"name"`
	ClientCertPEM    string `json:"client_cert_pem"`     // mutual TLS client certificate (A2)
	SignPublicKeyPEM string `json:"sign_public_key_pem"` // SM2 request-signing public key
	EncPublicKeyPEM  string `json:"enc_public_key_pem"`  // SM2 encryption public key (separate: 7.3.4/1)
	RedirectURI      string `json:"redirect_uri"`
	NotifyURL        string `json:"notify_url,omitempty"`     // https URL for payment notifications
	NotifyCSRPEM     string `json:"notify_csr_pem,omitempty"` // CSR for the notification server's certificate
	Language         string `json:"language,omitempty"`       // for the report ("Go", "sh")
	Version          string `json:"version,omitempty"`
}

// ConfigureParams is what the bank issued to the partner (the parameters of Configure).
type ConfigureParams struct {
	BankURL          string   `json:"bank_url"`
	AppID            string   `json:"app_id"`
	AppSecret        string   `json:"app_secret"`
	AppSecretSerial  string   `json:"app_secret_serial"`
	SignSerial       string   `json:"sign_serial"`
	EncSerial        string   `json:"enc_serial"`
	CAPEM            string   `json:"ca_pem"`
	BankSignCertsPEM string   `json:"bank_sign_certs_pem"`
	BankEncCertPEM   string   `json:"bank_enc_cert_pem"`
	Scopes           []string `json:"scopes"`
	NotifyCertPEM    string   `json:"notify_cert_pem,omitempty"`
}

// Product is one entry of ListProducts.
type Product struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
}

// ProductsResult answers ListProducts.
type ProductsResult struct {
	Products []Product `json:"products"`
}

// LinkParams start an account-information consent (StartLink).
type LinkParams struct {
	Scopes    []string `json:"scopes"`
	ValidDays int      `json:"valid_days,omitempty"`
}

// AuthorizationResult answers StartLink and StartPayment: where the user goes.
type AuthorizationResult struct {
	AuthorizationURL string `json:"authorization_url"`
}

// RedirectParams hand the bank's redirect to the partner (FinishLink, FinishPayment).
type RedirectParams struct {
	RedirectURL string `json:"redirect_url"`
}

// LinkResult answers FinishLink.
type LinkResult struct {
	Scopes []string `json:"scopes"`
}

// Account is one entry of Accounts.
type Account struct {
	AccountID string `json:"account_id"`
	Masked    string `json:"masked"`
}

// AccountsResult answers Accounts.
type AccountsResult struct {
	Accounts []Account `json:"accounts"`
}

// AccountParams name an account (Balance).
type AccountParams struct {
	AccountID string `json:"account_id"`
}

// BalanceResult answers Balance.
type BalanceResult struct {
	AccountID string `json:"account_id"`
	Available string `json:"available"`
	Currency  string `json:"currency"`
}

// TransactionsResult answers Transactions (params AccountParams): the items of the
// bank's first page, as the bank sent them.
type TransactionsResult struct {
	Transactions []map[string]any `json:"transactions"`
}

// HoldingsResult answers Holdings: the decrypted holdings, as the bank sent them.
type HoldingsResult struct {
	Holdings []map[string]any `json:"holdings"`
}

// PaymentParams start a payment consent (StartPayment).
type PaymentParams struct {
	AccountID    string `json:"account_id"`
	Amount       string `json:"amount"`
	PayeeAccount string `json:"payee_account"`
	PayeeName    string `json:"payee_name"`
	Reference    string `json:"reference"`
}

// PaymentResult answers FinishPayment and PaymentStatus.
type PaymentResult struct {
	PaymentID string `json:"payment_id"`
	Status    string `json:"status"`
}

// PaymentIDParams name a payment (PaymentStatus).
type PaymentIDParams struct {
	PaymentID string `json:"payment_id"`
}

// NotificationsResult answers Notifications: the notifications the partner accepted.
type NotificationsResult struct {
	Notifications []PaymentResult `json:"notifications"`
}

// Event is one of the partner's records of its user's operations (History, 12.3/6).
type Event struct {
	Time   string `json:"time"`
	Kind   string `json:"kind"` // authorization, payment, revocation, ...
	Detail string `json:"detail"`
}

// HistoryResult answers History.
type HistoryResult struct {
	Events []Event `json:"events"`
}

// Alarm is one alarm the partner raised (Status, 10.1.2/2b).
type Alarm struct {
	Time    string `json:"time"`
	Message string `json:"message"`
}

// StatusResult answers Status: the partner's own view of its integration's health
// (10.1.1/3).
type StatusResult struct {
	Circuit string  `json:"circuit"` // "open" or "closed"
	Alarms  []Alarm `json:"alarms"`
}

// LogResult answers Log.
type LogResult struct {
	Lines []string `json:"lines"`
}
