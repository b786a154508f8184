package fakedata

import "fmt"

// Issuers. Deposits and loans are the sandbox bank's own; wealth products come from
// its wealth-management subsidiary; fund managers are invented.
const (
	issuerBank   = "沙盒银行股份有限公司"
	issuerWealth = "沙盒理财有限责任公司"
)

var fundManagers = []string{
	"沙盒基金管理有限公司", "长河基金管理有限公司", "东岳基金管理有限公司", "南湖基金管理有限公司",
}

// productTemplate is the fixed part of a product; yields get a small seeded jitter.
type productTemplate struct {
	name     string
	risk     string
	yieldBP  int
	jitterBP int
	termDays int
	minFen   int64
}

// Rates are in line with mainland retail rates around 2025.
var (
	depositTemplates = []productTemplate{
		{"安享定期存款3个月", "R1", 110, 5, 90, 5_000},
		{"安享定期存款6个月", "R1", 130, 5, 180, 5_000},
		{"安享定期存款1年", "R1", 150, 5, 365, 5_000},
		{"安享定期存款2年", "R1", 160, 5, 730, 5_000},
		{"安享定期存款3年", "R1", 190, 5, 1095, 5_000},
		{"安享定期存款5年", "R1", 195, 5, 1825, 5_000},
		{"大额存单1年", "R1", 170, 5, 365, 20_000_000},
		{"大额存单3年", "R1", 210, 5, 1095, 20_000_000},
		{"七天通知存款", "R1", 45, 5, 7, 5_000_000},
	}
	wealthTemplates = []productTemplate{
		{"天天盈现金管理R1", "R1", 175, 15, 0, 100},
		{"稳健理财R2 90天", "R2", 245, 20, 90, 100},
		{"稳健理财R2 180天", "R2", 265, 20, 180, 100},
		{"安盈理财R2 365天", "R2", 290, 20, 365, 100},
		{"增利理财R3 1年", "R3", 340, 30, 365, 100},
		{"固收增强理财R3 2年", "R3", 365, 30, 730, 100},
		{"权益精选理财R4 3年", "R4", 480, 60, 1095, 1_000_000},
		{"量化多策略理财R4 1年", "R4", 420, 60, 365, 1_000_000},
	}
	fundTemplates = []productTemplate{
		{"货币市场基金A", "R1", 160, 20, 0, 100},
		{"纯债债券基金A", "R2", 310, 40, 0, 1_000},
		{"稳健增利债券C", "R2", 280, 40, 0, 1_000},
		{"平衡配置混合A", "R3", 450, 150, 0, 1_000},
		{"养老目标2045三年持有混合", "R3", 420, 120, 1095, 1_000},
		{"沪深300指数增强A", "R4", 520, 300, 0, 1_000},
		{"中证500指数C", "R4", 480, 300, 0, 1_000},
		{"科技创新混合A", "R4", 610, 400, 0, 1_000},
		{"医药健康股票A", "R5", 550, 500, 0, 1_000},
		{"新兴产业股票C", "R5", 700, 500, 0, 1_000},
	}
	loanTemplates = []productTemplate{
		{"安居住房贷款30年", "", 310, 0, 10950, 10_000_000},
		{"安居住房贷款20年", "", 310, 0, 7300, 10_000_000},
		{"闪电消费贷1年", "", 360, 20, 365, 100_000},
		{"闪电消费贷3年", "", 380, 20, 1095, 100_000},
		{"经营快贷1年", "", 345, 20, 365, 1_000_000},
		{"车主贷3年", "", 399, 20, 1095, 500_000},
		{"安学教育贷款5年", "", 290, 10, 1825, 100_000},
	}
)

var productCategories = []struct {
	category, prefix string
	templates        []productTemplate
}{
	{CategoryDeposit, "DEP", depositTemplates},
	{CategoryWealth, "WMP", wealthTemplates},
	{CategoryFund, "FND", fundTemplates},
	{CategoryLoan, "LON", loanTemplates},
}

// product builds product number i (0-based). Categories take turns (deposit, wealth,
// fund, loan); within a category the k-th product is on sale unless k%8 is 6
// (sold out) or 7 (closed), so every status appears once a category has 8 products.
func (g *Generator) product(i int) Product {
	cat := productCategories[i%len(productCategories)]
	k := i / len(productCategories)
	t := cat.templates[k%len(cat.templates)]
	name := t.name
	if issue := k/len(cat.templates) + 1; issue > 1 {
		name = fmt.Sprintf("%s 第%d期", name, issue)
	}
	yield := t.yieldBP
	if t.jitterBP > 0 {
		yield += int(g.between(int64(-t.jitterBP), int64(t.jitterBP)))
	}
	yield = max(yield, 1)
	p := Product{
		Code:          fmt.Sprintf("%s%04d", cat.prefix, k+1),
		Name:          name,
		Category:      cat.category,
		RiskLevel:     t.risk,
		AnnualYieldBP: yield,
		TermDays:      t.termDays,
		MinAmountFen:  t.minFen,
		Currency:      CurrencyCNY,
		Status:        ProductOnSale,
	}
	switch k % 8 {
	case 6:
		p.Status = ProductSoldOut
	case 7:
		p.Status = ProductClosed
	}
	switch cat.category {
	case CategoryDeposit:
		p.Issuer = issuerBank
		p.Description = fmt.Sprintf("人民币存款产品，期限%s，年利率%s，%s元起存。本产品纳入存款保险保障范围。",
			term(p.TermDays), percent(yield), yuan(p.MinAmountFen))
	case CategoryWealth:
		p.Issuer = issuerWealth
		period := "开放式，每日可申赎"
		if p.TermDays > 0 {
			period = "期限" + term(p.TermDays)
		}
		p.Description = fmt.Sprintf("业绩比较基准（年化）%s，%s，%s元起购，风险等级%s。业绩比较基准不代表实际收益。理财非存款，产品有风险，投资须谨慎。",
			percent(yield), period, yuan(p.MinAmountFen), p.RiskLevel)
	case CategoryFund:
		p.Issuer = fundManagers[g.intn(len(fundManagers))]
		holding := "开放式，随时申赎"
		if p.TermDays > 0 {
			holding = "最短持有期" + term(p.TermDays)
		}
		p.Description = fmt.Sprintf("近一年年化收益率%s，%s，%s元起购，风险等级%s。过往业绩不代表未来表现。基金有风险，投资须谨慎。",
			percent(yield), holding, yuan(p.MinAmountFen), p.RiskLevel)
	case CategoryLoan:
		p.Issuer = issuerBank
		p.Description = fmt.Sprintf("年利率（单利）%s，期限%s，%s元起贷。请按期还款，逾期将记入个人征信。",
			percent(yield), term(p.TermDays), yuan(p.MinAmountFen))
	}
	return p
}

// percent renders basis points as "2.35%".
func percent(bp int) string { return fmt.Sprintf("%d.%02d%%", bp/100, bp%100) }

// yuan renders fen as yuan: "1" for 100 fen, "0.50" for 50.
func yuan(fen int64) string {
	if fen%100 == 0 {
		return fmt.Sprintf("%d", fen/100)
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// term renders a term in days: "7天", "1年"; 0 is "无固定期限".
func term(days int) string {
	switch {
	case days == 0:
		return "无固定期限"
	case days%365 == 0:
		return fmt.Sprintf("%d年", days/365)
	default:
		return fmt.Sprintf("%d天", days)
	}
}
