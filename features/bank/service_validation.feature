@A1
Feature: The service layer validates every call and withstands hostile requests without leaking internals
  JR/T 0185-2020 7.1: 商业银行向应用方提供的异常与调试信息，不应泄漏服务器、中间件、数据库等软硬件信息或内部网络信息。
  JR/T 0185-2020 7.2.2: 商业银行应用程序接口应对连通有效性进行验证，如接口版本、参数格式等要素是否与平台设计保持一致。
  JR/T 0185-2020 7.3.2: API和SDK应对常见的网络攻击具有安全防护能力。

  Calls that do not match the published design get a catalogued 4xx naming the offending
  element; injection, traversal, oversized, smuggled and malformed requests get a
  catalogued 4xx or a closed connection, never a 5xx, and no answer names the server
  software, a stack trace, SQL, a file path or an internal address. The bank keeps serving.

  Background:
    Given an A1 app

  @JR0185-7.2.2/1 @JR0185-7.1/7
  Scenario: An unknown query parameter is refused naming the parameter
    When the app calls "GET /a1/v1/products?page_size=2&debug_sql=1"
    Then the bank answers 400 "PARAMETER_INVALID"
    And the answer field "detail" matches "debug_sql"
    And the answer is signed by the bank
    And the answer reveals no internal detail

  @JR0185-7.2.2/1
  Scenario: A malformed parameter value is refused naming the parameter
    When the app calls "GET /a1/v1/products?currency=rmb"
    Then the bank answers 400 "PARAMETER_INVALID"
    And the answer field "detail" matches "currency"

  @JR0185-7.2.2/1 @JR0185-7.1/7
  Scenario: An unsupported interface version is refused naming the version
    When the app calls "GET /a1/v9/products"
    Then the bank answers 400 "API_VERSION_UNSUPPORTED"
    And the answer field "detail" matches "v9"
    And the answer reveals no internal detail

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: An SQL injection in a path parameter gets a 4xx that reveals nothing
    When the app sends an SQL injection in a path parameter probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail
    And the bank still serves the app

  @JR0185-7.3.2/1 @JR0185-7.2.2/1
  Scenario: An SQL injection in a query parameter is refused as a malformed parameter
    When the app sends an SQL injection in a query parameter probe
    Then the bank answers 400 "PARAMETER_INVALID"
    And the answer reveals no internal detail

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: A path traversal probe gets a 4xx that reveals nothing
    When the app sends a path traversal probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: An oversized body is refused and the bank keeps serving
    When the app sends an oversized body probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail
    And the bank still serves the app

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: A request-smuggling probe is refused and the smuggled request is not served
    When a client sends a raw request-smuggling probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail
    And the bank still serves the app

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: A malformed request line gets a catalogued 4xx that reveals nothing
    When a client sends a raw malformed request line probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail

  @JR0185-7.3.2/1 @JR0185-7.1/7
  Scenario: An oversized header gets a catalogued 4xx that reveals nothing
    When a client sends a raw oversized header probe
    Then the bank answers a catalogued 4xx problem or closes the connection
    And the answer reveals no internal detail
    And the bank still serves the app

  @JR0185-7.1/7 @JR0185-9.2.1/b1
  Scenario: An unauthenticated call is refused without revealing internals
    When the app calls "GET /a1/v1/products" without an Authorization header
    Then the bank answers 401 "AUTH_MISSING"
    And the answer reveals no internal detail
