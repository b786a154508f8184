@A2
Feature: The partner reads account information only with the user's consent, over mutual TLS, signing every request
  JR/T 0185-2020 7.2.1 a）2）对于A2级别接口……应使用包含数字证书或公私钥对的方式进行双向身份认证。
  7.2.2 2）对于A2级别的接口，商业银行和应用方应使用数字签名来保证数据的完整性和不可抵赖性。
  9.3.1 1）用户身份认证应在商业银行完成。
  9.3.2 1）b）应用方调用接口时，应首先取得用户明示同意，其内容应包含授权有效期。
  9.3.3 3）应使用数字签名等技术确保A2类数据的不可抵赖性。

  The harness plays the user at the bank's pages (password and one-time code, then the
  consent screen); the partner only ever sees the bank's redirect with a code.

  Background:
    Given the partner under test, onboarded at the bank

  @JR0185-7.2.1/a2 @JR0185-9.2.1/b2 @JR0185-7.2.2/2 @JR0185-9.2.2/2 @JR0185-9.3.3/3 @JR0185-9.3.1/1
  Scenario: The partner links the user's accounts at the bank and reads a balance with signed requests over mutual TLS
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the partner is asked for the balance of the user's first account
    Then the partner answered with the balance the bank holds for that account
    And every call the partner made used TLS 1.2 or later and every A2 call its registered client certificate
    And every request the partner made carried a signature the bank verified
    And the partner's log holds nothing the user entered at the bank

  @JR0185-9.2.2/2 @JR0185-9.3.3/3
  Scenario: The partner never reuses a nonce across many signed calls
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the partner is asked for the balance of the user's first account 4 times
    Then the partner never reused a nonce
    And the bank refused none of the partner's calls

  @JR0185-9.3.2/1b
  Scenario: Without a linked user the partner makes no account call
    When the partner is asked for the balance of an account with no user linked
    Then the partner refused with "not_linked"
    And no account call reached the bank

  @JR0185-7.2.2/3b @JR0185-9.3.5/1
  Scenario: The partner calls only the interfaces its task needs and shows accounts masked
    Given the partner has linked "zhangsan"'s accounts for "accounts:read balances:read"
    When the partner is asked for the balance of the user's first account
    Then the partner called only "a2.oauth.token a2.accounts.list a2.accounts.balance"
    And the partner's accounts are shown masked
    And the bank refused none of the partner's calls
