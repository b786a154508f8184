@A2
Feature: The partner finishes only the authorizations it started, with unguessable states, and exchanges no code it must refuse
  JR/T 0185-2020 9.3.1 1）用户身份认证应在商业银行完成，若用户个人金融信息或支付敏感信息确需在应用方输入，应用方不应以任何方式在本地留存相关信息。
  9.3.2 1）b）应用方调用接口时，应首先取得用户明示同意，其内容应包含授权有效期。

  The harness plays the user at the bank and then hands the partner the bank's redirect
  as it is, or changed: a forged state, no state, the state of an authorization the
  partner already finished, the redirect of an account link to finish a payment, an
  error added. The partner must refuse each changed one and call no token endpoint
  (OAuth 2.0 state: RFC 6749 10.12); the bank records every call it makes.

  Background:
    Given the partner under test, onboarded at the bank

  @JR0185-9.3.1/1
  Scenario: The partner refuses a redirect whose state it did not issue and exchanges no code
    Given "zhangsan" approved at the bank an account link the partner started
    When the partner is handed the bank's redirect with a forged state
    Then the partner refused with "invalid"
    When the partner is handed the bank's redirect without a state
    Then the partner refused with "invalid"
    And the partner exchanged no code at the bank after the user decided
    When the partner is handed the bank's redirect as it is
    Then the partner linked the user's accounts

  @JR0185-9.3.1/1
  Scenario: The partner refuses a redirect carrying the state of an authorization it already finished
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    And "zhangsan" approved at the bank an account link the partner started
    When the partner is handed the bank's redirect with the state of the authorization it already finished
    Then the partner refused with "invalid"
    And the partner exchanged no code at the bank after the user decided
    When the partner is handed the bank's redirect as it is
    Then the partner linked the user's accounts

  @JR0185-9.3.1/1 @JR0185-9.3.2/1b
  Scenario: The partner refuses to finish a payment with the redirect of an account link
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    And the partner has started a payment of "10.00" from the user's first account to "6222000000000000020" named "赵六"
    And "zhangsan" approved at the bank an account link the partner started
    When the partner is handed the bank's redirect as it is, to finish the payment
    Then the partner refused with "invalid"
    And the partner exchanged no code at the bank after the user decided

  @JR0185-9.3.1/1
  Scenario: Every authorization the partner starts carries a fresh, unguessable state
    When the partner is asked to start 12 account links
    Then every authorization the partner started carries a different state of at least 128 bits

  @JR0185-9.3.2/1b @JR0185-9.3.1/1
  Scenario: When the user refuses at the bank the partner reports it and exchanges no code
    Given "zhangsan" refused at the bank an account link the partner started
    When the partner is handed the bank's redirect as it is
    Then the partner refused with "bank_error" or "invalid"
    And the partner exchanged no code at the bank after the user decided
    Given "zhangsan" approved at the bank an account link the partner started
    When the partner is handed the bank's redirect with "error=access_denied" added
    Then the partner refused with "bank_error" or "invalid"
    And the partner exchanged no code at the bank after the user decided
    And no account call reached the bank
