@A2
Feature: Faults without silent damage: every payment is in the audit log, and its notification names the request
  JR/T 0185-2020 7.3.3 1): 商业银行应对接口使用情况进行监控，完整记录接口访问日志。
  JR/T 0185-2020 12.3 1): 应完整记录商业银行应用程序接口访问日志，日志记录应至少包括7.3.3所述日志内容。
  JR/T 0185-2020 10.2.3 4): 对监控到的风险交易应进行及时分析与处置。

  A payment's change is written to the audit log in the payment's own transaction — a
  record of its own (method COMMIT, path payment:<id>, its status and the paying call's
  request id), besides the call's access record — so no money moves unrecorded, and the
  log's verification checks every payment against it. The payment's notification names
  the Idempotency-Key it was sent with and the consent it was made under, so the partner
  can match the outcome to its request after the payment token has expired.

  Background:
    Given an A2 app with a notification receiver
    And "zhangsan" has consented to the app for "accounts:read balances:read"

  @JR0185-7.3.3/1 @JR0185-12.3/1
  Scenario: A payment's change has its own audit record and the log verifies complete
    Given "zhangsan" has consented to pay "3.15" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "3.15" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the answer field "status" is "succeeded"
    And the bank's audit log holds a record of the payment's change to "succeeded", apart from the call's access record
    And the bank's audit verification finds every payment recorded

  @JR0185-10.2.3/4
  Scenario: A payment's notification names its Idempotency-Key and consent
    Given "zhangsan" has consented to pay "3.16" to "6222000000000000020" named "赵六" from "{zhangsan.account}"
    When the app pays "3.16" to "6222000000000000020" named "赵六" from "{zhangsan.account}" for "zhangsan"
    Then the bank answers 201
    And the app receives a signed notification that the payment is "succeeded"
    And the app's notification of the payment names its Idempotency-Key and the consent it was paid under
