@A2
Feature: The partner isolates failures, backs off and raises alarms instead of hammering the bank
  JR/T 0185-2020 10.1.2 2）应用方应具备故障识别与隔离能力：
  a）调用商业银行应用程序接口应设计熔断机制，熔断规则包括设置失败笔数阈值……熔断措施包括拒绝交易、暂停服务调用等；
  b）调用商业银行应用程序接口应建立异常告警处理机制。
  10.1.1 3）应用方应对其集成商业银行应用程序接口运行状态进行监测，发现异常应及时处置。
  9.3.4 4）应通过技术手段与管理措施等，防止接口滥用。

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-10.1.2/2 @JR0185-10.1.2/2a @JR0185-10.1.2/2b @JR0185-10.1.1/3 @JR0185-9.3.4/4
  Scenario: After repeated failures the partner opens its circuit breaker instead of hammering the bank
    Given the bank will answer the partner's next 60 calls with 503 and Retry-After 1
    When the partner is asked for the balance of the user's first account 8 times
    Then the partner refused at least one of them itself with "circuit_open"
    And no account call reached the bank after the partner first answered "circuit_open"
    And the partner's status shows its circuit open and an alarm

  @JR0185-9.3.4/4 @JR0185-10.1.1/3
  Scenario: The partner waits as long as the bank's Retry-After asks when it is rate-limited
    Given the bank will answer the partner's next 2 calls with 429 and Retry-After 1
    When the partner is asked for the balance of the user's first account
    Then after each 429 the partner waited at least 1 second before calling again

  @JR0185-10.1.2/2 @JR0185-10.1.2/2b
  Scenario: When one interface fails the partner isolates it and keeps using the others
    Given the bank will answer the partner's next 60 calls to "a2.accounts.balance" with 503 and Retry-After 1
    When the partner is asked for the balance of the user's first account 4 times
    Then the partner refused at least one of them itself with "circuit_open"
    When the partner is asked for the user's accounts
    Then the partner answered with the user's accounts
    And the partner's status shows its circuit open and an alarm
