package fakedata

import "strings"

// CardKind is the kind of a bank card.
type CardKind int

// Card kinds.
const (
	Debit  CardKind = iota + 1 // 借记卡
	Credit                     // 贷记卡 (credit card)
)

// String returns "debit" or "credit", the values Account.Kind uses.
func (k CardKind) String() string {
	switch k {
	case Debit:
		return "debit"
	case Credit:
		return "credit"
	}
	return "unknown"
}

// BIN is an issuer identification number (the first six digits of a card number) of a
// mainland bank, with the kind and length of the cards issued on it.
type BIN struct {
	Prefix   string   // six digits
	Bank     string   // issuer, e.g. "中国工商银行"
	BankCode string   // short code, e.g. "ICBC"
	Kind     CardKind // Debit or Credit
	Length   int      // full card number length, 16 or 19
}

// bins is a selection of real, well-known BINs of the large mainland banks. Kind and
// length are as published in common BIN tables (for example the caijf/bankcard
// dataset). Only 16- and 19-digit BINs are listed: 17- and 18-digit cards exist
// (Industrial Bank debit cards, for one) but are left out.
var bins = []BIN{
	// Debit.
	{"622202", "中国工商银行", "ICBC", Debit, 19},
	{"622208", "中国工商银行", "ICBC", Debit, 19},
	{"621226", "中国工商银行", "ICBC", Debit, 19},
	{"621700", "中国建设银行", "CCB", Debit, 19},
	{"622700", "中国建设银行", "CCB", Debit, 19},
	{"436742", "中国建设银行", "CCB", Debit, 19},
	{"622848", "中国农业银行", "ABC", Debit, 19},
	{"622845", "中国农业银行", "ABC", Debit, 19},
	{"621661", "中国银行", "BOC", Debit, 19},
	{"601382", "中国银行", "BOC", Debit, 19},
	{"622262", "交通银行", "COMM", Debit, 19},
	{"622260", "交通银行", "COMM", Debit, 19},
	{"621799", "中国邮政储蓄银行", "PSBC", Debit, 19},
	{"622188", "中国邮政储蓄银行", "PSBC", Debit, 19},
	{"622588", "招商银行", "CMB", Debit, 16},
	{"621485", "招商银行", "CMB", Debit, 16},
	{"622690", "中信银行", "CITIC", Debit, 16},
	{"622622", "中国民生银行", "CMBC", Debit, 16},
	{"622521", "上海浦东发展银行", "SPDB", Debit, 16},
	{"622660", "中国光大银行", "CEB", Debit, 16},
	{"622630", "华夏银行", "HXBANK", Debit, 16},
	{"622568", "广发银行", "GDB", Debit, 19},
	// Credit.
	{"625916", "中国工商银行", "ICBC", Credit, 16},
	{"427020", "中国工商银行", "ICBC", Credit, 16},
	{"436745", "中国建设银行", "CCB", Credit, 16},
	{"622166", "中国建设银行", "CCB", Credit, 16},
	{"622836", "中国农业银行", "ABC", Credit, 16},
	{"622760", "中国银行", "BOC", Credit, 16},
	{"625907", "中国银行", "BOC", Credit, 16},
	{"622252", "交通银行", "COMM", Credit, 16},
	{"622810", "中国邮政储蓄银行", "PSBC", Credit, 16},
	{"439225", "招商银行", "CMB", Credit, 16},
	{"622575", "招商银行", "CMB", Credit, 16},
	{"433669", "中信银行", "CITIC", Credit, 16},
	{"622600", "中国民生银行", "CMBC", Credit, 16},
	{"622276", "上海浦东发展银行", "SPDB", Credit, 16},
	{"625978", "中国光大银行", "CEB", Credit, 16},
	{"622636", "华夏银行", "HXBANK", Credit, 16},
	{"622555", "广发银行", "GDB", Credit, 16},
	{"531659", "平安银行", "SPABANK", Credit, 16},
}

var binByPrefix = func() map[string]BIN {
	m := make(map[string]BIN, len(bins))
	for _, b := range bins {
		m[b.Prefix] = b
	}
	return m
}()

var binsByKind = func() map[CardKind][]BIN {
	m := map[CardKind][]BIN{}
	for _, b := range bins {
		m[b.Kind] = append(m[b.Kind], b)
	}
	return m
}()

// BINs returns a copy of the embedded BIN table.
func BINs() []BIN { return append([]BIN(nil), bins...) }

// LookupBIN returns the table entry for a six-digit prefix.
func LookupBIN(prefix string) (BIN, bool) {
	b, ok := binByPrefix[prefix]
	return b, ok
}

// BankOf identifies the issuer of a card number by its first six digits. Spaces and
// dashes are ignored; the length and check digit are not checked (use LuhnValid).
func BankOf(card string) (BIN, bool) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, card)
	if len(digits) < 6 {
		return BIN{}, false
	}
	return LookupBIN(digits[:6])
}
