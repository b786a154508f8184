@A1
Feature: Requests cannot be replayed
  JR/T 0185-2020 7.3.2: 商业银行应充分考虑各类安全风险，采取有效手段防范注入攻击、重放攻击、数据篡改等攻击手段。
  JR/T 0185-2020 9.2.1 b) 1): 商业银行应按照安全级别及接口类型，对不同的应用方采用合适的认证方式进行身份认证。

  Each request carries a timestamp and a single-use nonce inside what it signs; the bank
  refuses a request sent a second time and one whose timestamp is outside its window.

  Background:
    Given an A1 app

  @JR0185-7.3.2/1 @JR0185-7.2.2/2
  Scenario: A request sent twice is refused the second time
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    When the app sends the same request again
    Then the bank answers 401 "NONCE_REPLAYED"
    And the answer is signed by the bank

  @JR0185-7.3.2/1 @JR0185-7.2.2/2
  Scenario: A request with a stale timestamp is refused
    When the app calls "GET /a1/v1/products" with a timestamp ten minutes old
    Then the bank answers 401 "TIMESTAMP_OUT_OF_WINDOW"

  @JR0185-7.3.2/1 @JR0185-7.2.2/2
  Scenario: A request with a timestamp from the future is refused
    When the app calls "GET /a1/v1/products" with a timestamp ten minutes ahead
    Then the bank answers 401 "TIMESTAMP_OUT_OF_WINDOW"
