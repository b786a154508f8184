@A2
Feature: The partner logs every call without personal financial information and keeps its user's history
  JR/T 0185-2020 7.3.3 2）b）应用方接口日志中应以部分屏蔽的方式记录支付账号（或其等效信息），除此之外的个人金融信息不应在应用方接口日志中进行记录。
  9.3.3 2）a）不应采集、存储用户个人金融信息或支付敏感信息。
  12.3 4）应完整记录商业银行应用程序接口访问日志。
  12.3 6）应提供查询应用方用户商业银行应用程序接口相关登录、授权、交易等历史操作日志功能。

  The harness scans the log the partner's driver returns.

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-7.3.3/2b @JR0185-9.3.3/2a
  Scenario: The partner's log holds no full account, card, ID or phone number
    When the partner is asked for the balance of the user's first account
    And the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    Then the partner reported the payment "succeeded"
    And the partner's log holds no full account, card, ID or phone number

  @JR0185-12.3/4
  Scenario: The partner's log records every call it made to the bank
    When the partner is asked for the balance of the user's first account
    Then the partner's log names the request id of every call the bank answered it

  @JR0185-12.3/6
  Scenario: The partner keeps a record of its user's authorizations, payments and revocations
    When the partner is asked to pay "10.00" from the user's first account to "6222000000000000020" named "赵六"
    And the partner is asked to revoke the user's authorization
    Then the partner's history shows an "authorization", a "payment" and a "revocation"
