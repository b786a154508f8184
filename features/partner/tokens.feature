@A2
Feature: The partner handles expired tokens, revoked consents and its own revocation correctly
  JR/T 0185-2020 9.3.2 1）b）应用方调用接口时，应首先取得用户明示同意，其内容应包含授权有效期。
  9.3.5 1）应用方应根据商业银行提供的用户手册以及商业银行授权其使用的服务类型，正确合理使用API。
  9.3.4 4）应通过技术手段与管理措施等，防止接口滥用。

  Background:
    Given the partner under test, onboarded at the bank
    And the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"

  @JR0185-9.3.5/1
  Scenario: An expired access token is refreshed and the call succeeds without asking the user again
    Given the bank has expired the partner's access tokens
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account
    And the partner refreshed its access token at the bank

  @JR0185-9.3.2/1b @JR0185-9.3.4/4
  Scenario: After the user revokes the consent the partner asks for a new one and stops calling
    Given the user has revoked the partner's consent at the bank
    When the partner is asked for the balance of the user's first account 3 times
    Then the partner refused with "relink_required" or "not_linked"
    And no account call reached the bank after the partner first answered "relink_required"

  @JR0185-9.3.5/1 @JR0185-9.3.2/1b
  Scenario: The partner revokes its token at the bank and then makes no account call
    When the partner is asked to revoke the user's authorization
    Then the partner revoked its token at the bank
    When the partner is asked for the balance of the user's first account
    Then the partner refused with "not_linked"
    And no account call reached the bank after the partner first answered "not_linked"
