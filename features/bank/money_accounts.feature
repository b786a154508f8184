@A2
Feature: Account data is masked, encrypted and limited to the consenting user's accounts
  JR/T 0185-2020 7.2.2 3) 2): 账号、卡号……等个人金融信息在传输过程中应……进行加密……；若确需使用商业银行应用程序接口将账号、卡号、姓名向应用方进行反馈，应脱敏或去标识化处理……
  JR/T 0185-2020 7.2.2 3) 3): 对于金融产品持有份额、用户积分等A2类只读信息查询……应采取加密等措施保证查询信息的完整性与保密性……
  JR/T 0185-2020 9.3.1: 商业银行应对应用方上送的用户相关信息进行核验。
  JR/T 0185-2020 9.3.2 1): 商业银行应按应用方、应用唯一标识App_ID、接口、用户等维度，依据最小授权原则进行授权，对于未授权的资源禁止访问；
  JR/T 0185-2020 10.2.2: 账户查询、资金交易、金融产品及服务申请类交易，应充分识别交易是否由用户本人发起（或本人授权发起），核实用户本人意愿。

  The app queries zhangsan's accounts with his consent: numbers come back masked,
  holdings come back sealed to the app's own encryption key, and an account of another
  user is "not found" — the same answer as an account that does not exist.

  Background:
    Given an A2 app

  @JR0185-7.2.2/3b
  Scenario: Account answers show account numbers masked
    Given "zhangsan" has consented to the app for "accounts:read balances:read"
    When the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 200
    And the answer is signed by the bank
    And the answer field "accounts.0.account_number_masked" matches "^\d{4} \*{4} \*{4} \d{4}$"
    And the answer shows no full account number
    When the app calls "GET /a2/v1/accounts/{zhangsan.account}" for "zhangsan"
    Then the bank answers 200
    And the answer field "account_number_masked" matches "^\d{4} \*{4} \*{4} \d{4}$"
    And the answer shows no full account number

  @JR0185-7.2.2/3c
  Scenario: Holdings are answered encrypted to the app's encryption key
    Given "zhangsan" has consented to the app for "accounts:read holdings:read"
    When the app calls "GET /a2/v1/holdings" for "zhangsan"
    Then the bank answers 200
    And the answer is signed by the bank
    And the answer decrypts with the app's encryption key to the holdings of "zhangsan"'s consented accounts
    When the app calls "GET /a2/v1/holdings" for "zhangsan"
    Then the bank answers 200
    And the answer decrypts with the app's encryption key to the holdings of "zhangsan"'s consented accounts

  @JR0185-9.3.2/1a @JR0185-9.3.1/2 @JR0185-10.2.2/2
  Scenario: Another user's account is not found with zhangsan's token
    Given "zhangsan" has consented to the app for "accounts:read balances:read"
    And "lisi" has consented to the app for "accounts:read balances:read"
    When the app calls "GET /a2/v1/accounts/{lisi.account}/balance" for "lisi"
    Then the bank answers 200
    When the app calls "GET /a2/v1/accounts/{lisi.account}/balance" for "zhangsan"
    Then the bank answers 404 "ACCOUNT_NOT_FOUND"
    And the answer is signed by the bank
    And the answer does not contain "{lisi.account}"
    And the answer does not contain "available"
    When the app calls "GET /a2/v1/accounts/{lisi.account}" for "zhangsan"
    Then the bank answers 404 "ACCOUNT_NOT_FOUND"
    And the answer does not contain "account_number_masked"
