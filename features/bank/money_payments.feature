@A2
Feature: A payment is executed only as the user consented to it, within the app's limits
  JR/T 0185-2020 7.2.2 3) 2): 账号、卡号、卡有效期、姓名……等个人金融信息在传输过程中应使用集成在SDK中的加密组件进行加密……
  JR/T 0185-2020 9.1.1 4): 不应通过开放应用程序接口的方式变相开展跨机构清算业务。
  JR/T 0185-2020 9.3.1: 商业银行应对应用方上送的用户相关信息进行核验。
  JR/T 0185-2020 10.2.1 3): 应评估应用方的风险承受能力，确保用户与应用方相关的账户关联、服务类型、交易额度等与其风险承受能力相匹配。
  JR/T 0185-2020 10.2.2: 账户查询、资金交易……应充分识别交易是否由用户本人发起（或本人授权发起），核实用户本人意愿。

  zhangsan consents at the bank to one payment (amount, payee, debit account) and confirms
  it with a one-time code; the app then sends it with the payee sealed to the bank's
  encryption certificate and an Idempotency-Key. Anything else — another amount, payee or
  debit account, a payee in clear, an amount above the app's limits — is refused with a
  catalogued error. The payee 6222000000000000020 is a card at another bank.

  Background:
    Given an A2 app
    And "zhangsan" has consented to the app for "accounts:read balances:read"

  @JR0185-10.2.2/2 @JR0185-7.2.2/3b
  Scenario: A consented payment is executed once and its retry answered byte for byte
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "succeeded"
    And the answer field "payee_account_masked" matches "^\d{4} \*{4} \*{4} \d{4}$"
    And the answer shows no full account number
    And the answer is signed by the bank
    When the app retries the payment with the same Idempotency-Key
    Then the answer is the first payment answer byte for byte
    When the app queries the payment
    Then the bank answers 200
    And the answer field "status" is "succeeded"

  @JR0185-10.2.2/2
  Scenario: The same Idempotency-Key with a different body is refused
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    When the app retries the payment with the same Idempotency-Key and memo "another body"
    Then the bank answers 422 "IDEMPOTENCY_KEY_REUSED"
    And the answer is signed by the bank

  @JR0185-7.2.2/3b
  Scenario: A payee sent in clear is refused
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan" with the payee in clear
    Then the bank answers 400 "BODY_INVALID"
    And the answer is signed by the bank

  @JR0185-10.2.2/2 @JR0185-9.3.1/2
  Scenario: A payment of another amount than consented is refused
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 403 "PAYMENT_NOT_CONSENTED"
    And the answer is signed by the bank

  @JR0185-10.2.2/2 @JR0185-9.3.1/2
  Scenario: A payment to another payee than consented is refused
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.00" to "6222000000000000038" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 403 "PAYMENT_NOT_CONSENTED"

  @JR0185-10.2.2/2 @JR0185-9.3.1/2
  Scenario: A payment from another debit account than consented is refused
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account2}" for "zhangsan"
    Then the bank answers 403 "PAYMENT_NOT_CONSENTED"

  @JR0185-9.1.1/4
  Scenario: No interface moves funds between accounts outside the bank
    Given "zhangsan" has consented to pay "10.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    Then the published catalogue offers one interface that moves funds, acting for the consenting user
    When the app pays "10.00" to "6222000000000000020" named "赵六" from "6222000000000000046" for "zhangsan"
    Then the bank answers 403 "PAYMENT_NOT_CONSENTED"
    And the answer is signed by the bank

  @JR0185-10.2.1/3
  Scenario: A payment above the app's per-transaction limit is refused
    Given the operator sets the app's payment limits:
      """
      {"per_transaction": "100.00", "daily": "150.00"}
      """
    And "zhangsan" has consented to pay "100.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "100.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 422 "LIMIT_EXCEEDED"
    And the answer field "detail" matches "per-transaction limit of the app"

  @JR0185-10.2.1/3
  Scenario: A payment beyond the app's daily limit is refused
    Given the operator sets the app's payment limits:
      """
      {"per_transaction": "100.00", "daily": "150.00"}
      """
    And "zhangsan" has consented to pay "100.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "100.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "succeeded"
    Given "zhangsan" has consented to pay "60.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "60.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 422 "LIMIT_EXCEEDED"
    And the answer field "detail" matches "daily limit of the app"

  @JR0185-10.2.1/3
  Scenario: A payment above the debit account's per-transaction limit is refused
    Given "zhangsan" has consented to pay "500000.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "500000.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 422 "LIMIT_EXCEEDED"
    And the answer is signed by the bank

  # issue 13 item 4: a payment's fields at their edges, and the payees a bank tells apart
  @JR0185-7.2.2/1 @JR0185-10.2.2/2
  Scenario: A payment's Idempotency-Key is held to its published alphabet and length
    Then an Idempotency-Key outside 1 to 64 of A-Z a-z 0-9 - _ . : is refused 400 "IDEMPOTENCY_KEY_INVALID" and one of 64 at the alphabet's edges is paid

  @JR0185-7.2.2/1 @JR0185-9.3.1/2
  Scenario: A payee name as long as a consent takes is paid
    Then a payment to a payee name of 100 bytes, the most a consent takes, is paid

  @JR0185-7.2.2/1 @JR0185-9.3.1/2 @JR0185-10.2.2/2
  Scenario: A payment to its own debit account is refused and one to another customer of the bank is paid
    Then a payment to the debit account itself is refused 400 "PARAMETER_INVALID" and one to another customer's account at the bank is paid

  @JR0185-9.3.2/1c @JR0185-10.2.2/2
  Scenario: One payment consent sent in eight payments at once pays once
    Then 8 payments under one payment consent sent together, each with its own Idempotency-Key: exactly one is paid, every other refused 403 "CONSENT_USED", and the debit account's history holds it once
