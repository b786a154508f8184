@A2
Feature: The partner pays with the payee encrypted, the payer's confirmation at the bank, and one idempotency key per payment
  JR/T 0185-2020 7.2.2 3）b）账号、卡号……等个人金融信息在传输过程中应使用集成在SDK中的加密组件进行加密。
  9.3.3 2）b）对于需要用户输入支付敏感信息或身份鉴别信息的场景，应用方仅可作为信息的采集与传输通道……
  9.3.4 4）应通过技术手段与管理措施等，防止接口滥用。

  The payee 6222000000000000020 is a card at another bank (README "Test data"). The user
  confirms each payment at the bank with a one-time code.

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-7.2.2/3b @JR0185-9.3.3/2b @JR0185-9.3.4/2
  Scenario: The partner pays with the payee sealed to the bank's key after the user confirmed at the bank
    When the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    Then the partner reported the payment "succeeded"
    And the bank moved "10.00" from the user's first account exactly once
    And the bank refused none of the partner's calls
    And the partner accepted the bank's signed notification that the payment is "succeeded"

  @JR0185-9.3.4/4 @JR0185-9.3.5/1
  Scenario: A payment whose answer was lost is retried with the same idempotency key and made once
    Given the bank will "lose-response" its next answer to the partner from "a2.payments.create"
    When the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    Then the partner reported the payment "succeeded"
    And the partner sent the payment 2 times or more, every time with the same idempotency key
    And the bank moved "10.00" from the user's first account exactly once
