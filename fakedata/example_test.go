package fakedata_test

import (
	"fmt"

	"github.com/jr0185/harness/fakedata"
)

// Find the fixed test users' accounts for a seed.
func ExampleGenerate() {
	ds := fakedata.Generate(2020, fakedata.DefaultSize)
	for _, username := range []string{"zhangsan", "lisi", "wangwu"} {
		c, _ := ds.Customer(username)
		for _, a := range c.Accounts {
			bin, _ := fakedata.BankOf(a.Number)
			fmt.Println(c.ID, username, c.Name, bin.BankCode, a.Kind, a.Status, a.Number)
		}
	}
	// Output:
	// CUST000001 zhangsan 张三 ICBC debit active 6222026455125827097
	// CUST000001 zhangsan 张三 CMB debit active 6225883308536874
	// CUST000002 lisi 李四 CCB debit active 6217000461364596104
	// CUST000003 wangwu 王五 ABC debit frozen 6228481439165781427
}

func ExampleGenerator() {
	g := fakedata.New(1)
	id := g.ResidentID(fakedata.ReferenceTime.AddDate(-30, 0, 0), true)
	card := g.CardNumber(fakedata.Credit)
	bin, _ := fakedata.BankOf(card)
	fmt.Println(fakedata.ValidateResidentID(id) == nil, fakedata.LuhnValid(card), bin.Kind)
	// Output: true true credit
}
