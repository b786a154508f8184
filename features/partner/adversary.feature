@A2
Feature: The partner acts on no answer of the bank that fails verification, of any kind, spoiled in any way
  JR/T 0185-2020 9.3.3 1）数据完整性保护：应对数据完整性进行校验，并在检测到完整性错误时采取必要的恢复措施（或停止执行请求）。
  9.2.2 2）对于A2类应采用数字签名等手段，保证商业银行与应用方之间数据传输的完整性与不可抵赖性。

  The bank plays the partner's adversary on one kind of answer at a time: it spoils that
  answer in each of five ways in turn — a digit of the body changed after signing, the
  signature stripped, a signature that does not verify, a key serial the bank never
  published, and a signature by the bank's retired key (its certificate is published for
  verifying history but has expired: a partner checks a bank certificate's validity, not
  only its serial). Each time the partner must answer integrity_failure, raise an alarm
  and act on nothing: no token kept, no payment shown as made, no revocation recorded, no
  user dropped on a forged error, nothing shown from a read.

  Background:
    Given the partner under test, onboarded at the bank

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner keeps no token from a code exchange whose answer fails verification
    When the bank spoils its answer from "a2.oauth.token" in each of the five ways in turn, each time as the partner links "zhangsan"'s accounts
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    And the partner acted on none of the spoiled answers
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner uses no refreshed token whose answer fails verification
    When the bank spoils its answer from "a2.oauth.token" in each of the five ways in turn, each time as the partner refreshes its expired access token to show the balance of the user's first account
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    And the partner acted on none of the spoiled answers

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner records no revocation whose answer fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the bank spoils its answer from "a2.oauth.revoke" in each of the five ways in turn, each time as the partner is asked to revoke the user's authorization
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    And the partner acted on none of the spoiled answers

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner shows no account list, balance or transactions whose answer fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read transactions:read"
    When the bank spoils its answer from "a2.accounts.list" in each of the five ways in turn, each time as the partner is asked for the user's accounts
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the bank spoils its answer from "a2.accounts.balance" in each of the five ways in turn, each time as the partner is asked for the balance of the user's first account
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the bank spoils its answer from "a2.accounts.transactions" in each of the five ways in turn, each time as the partner is asked for the transactions of the user's first account
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the partner is asked for the transactions of the user's first account
    Then the partner answered with the transactions the bank holds for that account

  @JR0185-9.3.3/1 @JR0185-9.2.2/2 @JR0185-7.2.2/3c
  Scenario: The partner shows no holdings whose answer fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read holdings:read"
    When the bank spoils its answer from "a2.holdings.list" in each of the five ways in turn, each time as the partner is asked for the user's holdings
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner shows no payment as made whose answer fails verification, and pays once
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    And the user has confirmed a payment of "10.00" from their first account to "6222000000000000020" named "赵六" that the partner started
    When the bank spoils its answer from "a2.payments.create" in each of the five ways in turn, each time as the partner is asked to finish that payment
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    And the partner acted on none of the spoiled answers
    When the partner is asked again to finish that payment
    Then the partner reported the payment "succeeded"
    And the bank moved "10.00" from the user's first account exactly once

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner shows no payment status and accepts no payment notification that fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    Then the partner reported the payment "succeeded"
    And the partner accepted the bank's signed notification that the payment is "succeeded"
    When the bank spoils its answer from "a2.payments.get" in each of the five ways in turn, each time as the partner is asked for the status of that payment
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the bank spoils the notification of that payment in each of the five ways in turn, delivering it again each time
    Then the partner refused every spoiled notification, accepted none of them and raised an alarm for each

  @JR0185-9.3.3/1 @JR0185-9.2.2/2 @JR0185-9.3.2/1b
  Scenario: The partner does not drop its user on a forged CONSENT_REVOKED or TOKEN_REVOKED that fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the bank spoils its answer from "a2.accounts.balance" as a forged "CONSENT_REVOKED" in each of the five ways in turn, each time as the partner is asked for the balance of the user's first account
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the bank spoils its answer from "a2.accounts.list" as a forged "TOKEN_REVOKED" in each of the five ways in turn, each time as the partner is asked for the user's accounts
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account

  @JR0185-9.3.3/1 @JR0185-9.2.2/2
  Scenario: The partner does not take a payment as refused on a forged INSUFFICIENT_FUNDS that fails verification
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    And the user has confirmed a payment of "10.00" from their first account to "6222000000000000020" named "赵六" that the partner started
    When the bank spoils its answer from "a2.payments.create" as a forged "INSUFFICIENT_FUNDS" in each of the five ways in turn, each time as the partner is asked to finish that payment
    Then the partner refused every spoiled answer with "integrity_failure" and raised an alarm for each
    And the partner acted on none of the spoiled answers
    When the partner is asked again to finish that payment
    Then the partner reported the payment "succeeded"
    And the bank moved "10.00" from the user's first account exactly once
