@A1
Feature: Every interface has a U_API_ID built by the rules of annex B
  JR/T 0185-2020 12.1: 应用程序接口应采用统一格式的识别码，并在相关平台进行注册和登记，编码规则详见附录B。
  JR/T 0185-2020 B.1: 商业银行应用程序接口统一识别码由商业银行依据编码规则生成。
  JR/T 0185-2020 B.2: 编码格式为ASCII码，长度为24个字符，由2个字符的固定位，6个字符的商业银行机构代码、2个字符的接口类型编码、6个字符的服务类别编码、6个字符顺序码编码和2个字符的保留位编码组成。
  JR/T 0185-2020 B.3.2: 固定位值固定为字母“OP”。 B.3.3: 采用金融机构编码的前6位字符。
  JR/T 0185-2020 B.3.4: 接口类型编码由2个字符组成。00保留，01表示A1安全级别，02表示A2安全级别。
  JR/T 0185-2020 B.3.5: 服务类别编码由6个数字字符组成，分为一级标识与二级标识……00保留，01账户服务、02支付结算、03投资理财、04信贷、05信用卡、06行业服务、07国际业务、08科技服务……二级标识……从0001至9999顺序编号，0000为保留位。
  JR/T 0185-2020 B.3.6: 同一商业银行机构代码、同一接口类型、同一服务类别下……顺序码优先使用从000001-999999的顺序连续编码。
  JR/T 0185-2020 B.3.7: 保留位编码保留使用，默认值为00。

  The harness reads the published catalogue (/docs/apis.json, no credentials) and checks
  every U_API_ID with its own implementation of annex B, then calls every interface and
  checks the U_API_ID each answer echoes.

  @JR0185-B/2 @JR0185-B/3
  Scenario: Every published U_API_ID is 24 ASCII characters in the six fields of table B.1
    When the published U_API_ID catalogue is fetched without credentials
    Then every published U_API_ID is 24 printable ASCII characters
    And every published U_API_ID splits into the six fields of table B.1, each valid by its own rule
    And no two published interfaces share a U_API_ID

  @JR0185-B/4 @JR0185-B/13
  Scenario: Every published U_API_ID begins with OP and ends with the reserved 00
    When the published U_API_ID catalogue is fetched without credentials
    Then every published U_API_ID begins with "OP"
    And every published U_API_ID ends with the reserved "00"

  @JR0185-B/1 @JR0185-B/5
  Scenario: Every published U_API_ID carries the institution code the bank declares
    When the published U_API_ID catalogue is fetched without credentials
    Then the catalogue declares a 14-character JR/T 0124 financial institution code
    And every published U_API_ID carries the first six characters of the declared code

  @JR0185-B/6 @JR0185-B/7 @A2
  Scenario: Each interface type code matches the level the interface enforces
    Given no interface changes state during this scenario
    And an A1 app
    When the published U_API_ID catalogue is fetched without credentials
    And the A1 app calls every published interface with its MAC
    Then every published interface type is a two-digit code other than the reserved "00"
    And every published interface type matches the interface's published level
    And every interface of type "01" accepted the A1 app's MAC and every interface of type "02" refused it with 401 "AUTH_SCHEME_NOT_ALLOWED"

  @JR0185-B/8 @JR0185-B/9 @JR0185-B/10
  Scenario: Every service category is six digits naming the declared service type and sub-type
    When the published U_API_ID catalogue is fetched without credentials
    Then every published service category is six digits
    And every published service category splits into the declared service type and sub-type
    And every first-level identifier is a category of B.3.5 and names the declared service type

  @JR0185-B/11 @JR0185-B/12
  Scenario: Second-level identifiers and sequence codes are numbered consecutively from one
    When the published U_API_ID catalogue is fetched without credentials
    Then within each first level the second-level identifiers in use run from 0001 without gaps
    And within each institution, type and category the sequence codes run from 000001 without gaps or repeats

  @JR0185-12.1/2 @JR0185-B/1 @A2
  Scenario: Every interface served echoes its published U_API_ID
    Given no interface changes state during this scenario
    And an A1 app
    And an A2 app for the A2 interfaces
    When the published U_API_ID catalogue is fetched without credentials
    And the apps call every published interface
    Then every answer names its interface's published U_API_ID in "X-JR-U-API-ID"
    And every echoed U_API_ID follows annex B with the declared institution code
