package fakedata

// Region is a county-level administrative division (GB/T 2260), the first six digits
// of a resident ID number (GB 11643-1999 4.2).
type Region struct {
	Code     string // six digits, e.g. "110105"
	Province string // e.g. "北京市"
	Name     string // city and district, e.g. "朝阳区"
}

// regions is a small, real subset of GB/T 2260: at least one district in every
// provincial-level division of the mainland. It is not exhaustive, so
// ValidateResidentID rejects real IDs issued elsewhere; that is deliberate for a
// sandbox whose data all comes from this table.
var regions = []Region{
	{"110101", "北京市", "东城区"},
	{"110102", "北京市", "西城区"},
	{"110105", "北京市", "朝阳区"},
	{"110106", "北京市", "丰台区"},
	{"110107", "北京市", "石景山区"},
	{"110108", "北京市", "海淀区"},
	{"120101", "天津市", "和平区"},
	{"120104", "天津市", "南开区"},
	{"130102", "河北省", "石家庄市长安区"},
	{"140105", "山西省", "太原市小店区"},
	{"150102", "内蒙古自治区", "呼和浩特市新城区"},
	{"210102", "辽宁省", "沈阳市和平区"},
	{"210202", "辽宁省", "大连市中山区"},
	{"220102", "吉林省", "长春市南关区"},
	{"230102", "黑龙江省", "哈尔滨市道里区"},
	{"310101", "上海市", "黄浦区"},
	{"310104", "上海市", "徐汇区"},
	{"310105", "上海市", "长宁区"},
	{"310115", "上海市", "浦东新区"},
	{"320102", "江苏省", "南京市玄武区"},
	{"320106", "江苏省", "南京市鼓楼区"},
	{"320505", "江苏省", "苏州市虎丘区"},
	{"320506", "江苏省", "苏州市吴中区"},
	{"330102", "浙江省", "杭州市上城区"},
	{"330106", "浙江省", "杭州市西湖区"},
	{"330203", "浙江省", "宁波市海曙区"},
	{"340104", "安徽省", "合肥市蜀山区"},
	{"350102", "福建省", "福州市鼓楼区"},
	{"350203", "福建省", "厦门市思明区"},
	{"360102", "江西省", "南昌市东湖区"},
	{"370102", "山东省", "济南市历下区"},
	{"370202", "山东省", "青岛市市南区"},
	{"410105", "河南省", "郑州市金水区"},
	{"420102", "湖北省", "武汉市江岸区"},
	{"420106", "湖北省", "武汉市武昌区"},
	{"430102", "湖南省", "长沙市芙蓉区"},
	{"430104", "湖南省", "长沙市岳麓区"},
	{"440103", "广东省", "广州市荔湾区"},
	{"440104", "广东省", "广州市越秀区"},
	{"440106", "广东省", "广州市天河区"},
	{"440303", "广东省", "深圳市罗湖区"},
	{"440304", "广东省", "深圳市福田区"},
	{"440305", "广东省", "深圳市南山区"},
	{"450102", "广西壮族自治区", "南宁市兴宁区"},
	{"460105", "海南省", "海口市秀英区"},
	{"500103", "重庆市", "渝中区"},
	{"500106", "重庆市", "沙坪坝区"},
	{"510104", "四川省", "成都市锦江区"},
	{"510105", "四川省", "成都市青羊区"},
	{"510107", "四川省", "成都市武侯区"},
	{"520102", "贵州省", "贵阳市南明区"},
	{"530102", "云南省", "昆明市五华区"},
	{"540102", "西藏自治区", "拉萨市城关区"},
	{"610102", "陕西省", "西安市新城区"},
	{"610113", "陕西省", "西安市雁塔区"},
	{"620102", "甘肃省", "兰州市城关区"},
	{"630102", "青海省", "西宁市城东区"},
	{"640104", "宁夏回族自治区", "银川市兴庆区"},
	{"650102", "新疆维吾尔自治区", "乌鲁木齐市天山区"},
}

var regionByCode = func() map[string]Region {
	m := make(map[string]Region, len(regions))
	for _, r := range regions {
		m[r.Code] = r
	}
	return m
}()

// Regions returns a copy of the embedded administrative division table.
func Regions() []Region { return append([]Region(nil), regions...) }

// RegionOf returns the administrative division a six-digit code (or the first six
// characters of a resident ID) names, if the embedded table has it.
func RegionOf(code string) (Region, bool) {
	if len(code) < 6 {
		return Region{}, false
	}
	r, ok := regionByCode[code[:6]]
	return r, ok
}
