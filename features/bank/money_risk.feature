@A2
Feature: Large, watch-listed and rapid payments are held for review and decided
  JR/T 0185-2020 10.2.3 1): 应将商业银行应用程序接口纳入银行风险监控范围，对应用方和用户账户资金活动情况进行实时监控。
  JR/T 0185-2020 10.2.3 3): 对大额、异常的资金收付应逐笔监测与核查，及时预警、及时控制。
  JR/T 0185-2020 10.2.3 4): 对监控到的风险交易应进行及时分析与处置。

  A payment of 50,000.00 or more, one to a payee on the bank's watch list
  (6222000000000000012), and one that crosses the app's velocity threshold are not
  executed: the partner sees risk_review, the bank raises an alarm naming the payment, and
  the operator's decision reaches the partner by status query and by a notification
  signed with the bank's key.

  Background:
    Given an A2 app with a notification receiver
    And "zhangsan" has consented to the app for "accounts:read balances:read"

  @JR0185-10.2.3/3 @JR0185-10.2.3/4
  Scenario: A large payment is held for review and executed once approved
    Given "zhangsan" has consented to pay "50000.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "50000.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "risk_review"
    And the bank raised a "payment_risk_review" alarm naming the payment
    When the app queries the payment
    Then the answer field "status" is "risk_review"
    When the operator approves the payment
    And the app queries the payment
    Then the bank answers 200
    And the answer field "status" is "succeeded"
    And the answer is signed by the bank
    And the app receives a signed notification that the payment is "succeeded"
    And the bank records the notification that the payment is "succeeded" as delivered
    And the bank's audit log records the operator's decision to approve the payment

  @JR0185-10.2.3/3 @JR0185-10.2.3/4
  Scenario: A payment to a watch-listed payee is held for review and rejected
    Given "zhangsan" has consented to pay "12.00" to "6222000000000000012" named "赵六" from "{zhangsan.account}"
    When the app pays "12.00" to "6222000000000000012" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "risk_review"
    And the bank raised a "payment_risk_review" alarm naming the payment
    When the operator rejects the payment
    And the app queries the payment
    Then the bank answers 200
    And the answer field "status" is "rejected"
    And the app receives a signed notification that the payment is "rejected"
    And the bank's audit log records the operator's decision to reject the payment

  @JR0185-10.2.3/1
  Scenario: The payment crossing the app's velocity threshold is flagged
    Given the operator sets the app's payment limits:
      """
      {"velocity_max_payments": 2, "velocity_window_seconds": 3600}
      """
    And "zhangsan" has consented to pay "1.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "1.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the answer field "status" is "succeeded"
    Given "zhangsan" has consented to pay "1.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "1.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the answer field "status" is "succeeded"
    Given "zhangsan" has consented to pay "1.02" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "1.02" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "risk_review"
    And the bank raised a "payment_velocity" alarm naming the payment

  # issue 13 item 4: a held payment is counted against the daily limit when it is created
  @JR0185-10.2.1/3 @JR0185-10.2.3/3
  Scenario: A payment held for review counts against the app's daily limit from the moment it is made
    Given the operator sets the app's payment limits:
      """
      {"daily": "20.00"}
      """
    And "zhangsan" has consented to pay "12.00" to "6222000000000000012" named "赵六" from "{zhangsan.account}"
    When the app pays "12.00" to "6222000000000000012" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the answer field "status" is "risk_review"
    Given "zhangsan" has consented to pay "8.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "8.01" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 422 "LIMIT_EXCEEDED"
    And the answer field "detail" matches "daily limit of the app"
    Given "zhangsan" has consented to pay "8.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "8.00" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "succeeded"
