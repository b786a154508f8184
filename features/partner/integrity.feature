@A2
Feature: The partner verifies every answer and notification of the bank and does not act on one that fails
  JR/T 0185-2020 9.3.3 1）数据完整性保护：应对数据完整性进行校验，并在检测到完整性错误时采取必要的恢复措施（或停止执行请求）。
  9.2.2 2）对于A2类应采用数字签名等手段，保证商业银行与应用方之间数据传输的完整性与不可抵赖性。

  The bank changes one answer to the partner after signing it (a digit of the body, a bit
  of the signature) or strips its signature, or sends the partner a payment notification
  whose signature does not verify. A partner that reports an integrity failure and does
  not use the data passes; so does one that stays silent. One that shows the data fails.

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-9.3.3/1 @JR0185-7.2.2/2 @JR0185-10.1.1/3
  Scenario: The partner does not show a balance whose body was changed after the bank signed it
    Given the bank will "tamper-body" its next answer to the partner
    When the partner is asked for the balance of the user's first account
    Then the partner refused with "integrity_failure"
    And the partner's status shows an alarm
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account

  @JR0185-9.3.3/1 @JR0185-9.3.3/3
  Scenario: The partner does not show a balance whose signature does not verify
    Given the bank will "tamper-signature" its next answer to the partner
    When the partner is asked for the balance of the user's first account
    Then the partner refused with "integrity_failure"

  @JR0185-9.3.3/1 @JR0185-7.2.1/a2 @JR0185-9.2.1/b2
  Scenario: The partner does not show a balance the bank's answer carried unsigned
    Given the bank will "strip-signature" its next answer to the partner
    When the partner is asked for the balance of the user's first account
    Then the partner refused with "integrity_failure"

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner accepts a signed payment notification and refuses one whose signature does not verify
    When the bank sends the partner a probe notification with a valid signature
    Then the partner answered the probe notification with success
    And the partner accepted the probe notification
    When the bank sends the partner a probe notification with a bad signature
    Then the partner answered the probe notification with a refusal
    And the partner did not accept the probe notification

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner refuses an unsigned payment notification
    When the bank sends the partner a probe notification with no signature
    Then the partner answered the probe notification with a refusal
    And the partner did not accept the probe notification

  @JR0185-9.2.2/2 @JR0185-9.3.3/3
  Scenario: After the bank rotates its signing key the partner verifies answers under the new key
    Given the bank has rotated its response-signing key
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account
