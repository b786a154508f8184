@A1
Feature: A1 calls are authenticated with App_ID, App_Secret and an HMAC-SM3 MAC
  JR/T 0185-2020 7.2.1 a) 1): 应用方身份认证应根据应用方接入方式，至少包含以下一种认证方式：——App ID+App Secret：……
  JR/T 0185-2020 9.2.1 b) 1): 身份认证：商业银行应按照安全级别及接口类型，对不同的应用方采用合适的认证方式进行身份认证。
  JR/T 0185-2020 9.2.2: 应使用MAC（消息认证码）等方式保证接口消息的完整性。

  The bank accepts a product query MACed with the app's key and refuses every
  variation of a wrong or missing MAC with a catalogued 401, signed like any answer.

  Background:
    Given an A1 app

  @JR0185-7.2.1/a1 @JR0185-9.2.2/1 @JR0185-6.2/A1
  Scenario: A correctly MACed product query is answered and protected
    When the app calls "GET /a1/v1/products?page_size=2"
    Then the bank answers 200
    And the answer is signed by the bank
    And the answer carries the app's MAC

  @JR0185-9.2.1/b1 @JR0185-7.2.1/a1
  Scenario: An A1 call without an Authorization header is refused
    When the app calls "GET /a1/v1/products" without an Authorization header
    Then the bank answers 401 "AUTH_MISSING"
    And the answer is signed by the bank

  @JR0185-9.2.2/1 @JR0185-9.2.1/b1
  Scenario: An A1 call whose MAC was computed with a wrong secret is refused
    When the app calls "GET /a1/v1/products" with a MAC under a wrong secret
    Then the bank answers 401 "MAC_INVALID"
    And the answer is signed by the bank

  @JR0185-9.2.2/1 @JR0185-7.2.2/2
  Scenario: An A1 call whose MAC covers another path is refused
    When the app calls "GET /a1/v1/products?page_size=2" signed over another path
    Then the bank answers 401 "MAC_INVALID"
