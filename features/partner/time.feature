@A2
Feature: The partner stamps every request with the time it sends it and does not wait on a bank that answers too late
  JR/T 0185-2020 9.3.4 2）应遵循商业银行的安全设计要求，使用商业银行提供的安全接口，并依据用户手册和安全规范进行集成。
  10.1.2 2）应用方应具备故障识别与隔离能力。
  10.1.1 3）应用方应对其集成商业银行应用程序接口运行状态进行监测，发现异常应及时处置。
  9.3.4 4）应通过技术手段与管理措施等，防止接口滥用。

  The bank records each request's timestamp and its skew from the bank's clock. The
  bank's manual (DRIVER.md, "Time") asks a partner to give up on an answer after at most
  5 s; the bank here answers one payment 8 s late, after which the payment is made all
  the same: a partner that retries must keep the Idempotency-Key, or it pays twice.

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-9.3.4/2 @JR0185-9.2.2/2
  Scenario: The partner's request timestamps follow the real clock
    When the partner is asked for the balance of the user's first account
    And 2 seconds pass
    And the partner is asked for the balance of the user's first account
    Then every request the partner made carried a timestamp within 10 seconds of the bank's clock
    And the partner's request timestamps advanced with its calls

  @JR0185-10.1.2/2 @JR0185-10.1.1/3 @JR0185-9.3.4/4
  Scenario: A payment the bank answers too late is given up within the partner's limit and made at most once
    Given the bank will answer the partner's next call to "a2.payments.create" 8 seconds late
    When the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    Then the partner gave up on the late answer within its 5-second limit and a 2-second margin
    And once the bank has answered the late call, it had moved at most "10.00" from the user's first account, exactly that if the partner reported the payment made
    And the partner sent the payment 1 times or more, every time with the same idempotency key
