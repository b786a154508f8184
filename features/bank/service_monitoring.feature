@A1
Feature: The service layer monitors, limits and isolates calls and recovers from faults
  JR/T 0185-2020 8: 商业银行应用程序接口服务层应部署流量控制、监控分析、认证鉴权、报文交换、服务组合等服务……
  JR/T 0185-2020 10.1.1: 商业银行应建立商业银行应用程序接口运维监测平台……监控商业银行应用程序接口相关服务器运行状态并建立告警机制；监控商业银行应用程序接口服务状态（包括耗时、交易量、成功率等参数）并建立告警机制；
  JR/T 0185-2020 10.1.2: 商业银行应具备流量监控、故障隔离、黑名单控制等商业银行应用程序接口调用控制能力：应具备商业银行应用程序接口调用流量控制能力……控制措施包括告警、暂停、拒绝等；……应具备故障监测和恢复能力；
  JR/T 0185-2020 10.2.1: ……并在协议框架内对异常的业务调用进行监控，必要时进行业务限流，并及时通知应用方进行事件调查。

  Faults are injected through the sandbox's test-control API, scoped to the scenario's
  own App_ID, so no other scenario is affected.

  Background:
    Given an A1 app

  @JR0185-10.1.1/1 @JR0185-10.1.1/2b @JR0185-7.3.3/1 @JR0185-8/2
  Scenario: The metrics count each app's calls per interface with their latency
    When the app calls "GET /a1/v1/products?page_size=1" 2 times
    And the app calls "GET /a1/v1/products?page_size=0"
    Then the metrics count 2 successful calls of the app to "a1.products.list"
    And the metrics count 1 failed call of the app to "a1.products.list" with code "PARAMETER_INVALID"
    And the metrics show the latency of "a1.products.list" and the server's resources

  @JR0185-10.1.2/1a @JR0185-10.1.2/1 @JR0185-8/2
  Scenario: Calls beyond the app's rate limit get 429 with Retry-After and an alarm while another app is served
    Given another A1 app
    And the operator limits the app to 1 call per second with a burst of 2
    When the app calls "GET /a1/v1/products?page_size=1" 5 times
    Then 2 of the app's answers were 200
    And 3 of the app's answers were 429 "RATE_LIMITED"
    And every 429 "RATE_LIMITED" answer carries Retry-After
    And the bank raises an alarm "flow-control" for the app
    When the other app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200

  @JR0185-10.1.2/1c @JR0185-10.1.1/2a @JR0185-7.1/7
  Scenario: An injected backend fault yields catalogued 503s, shows in health, metrics and alarms, and clears
    Given the operator injects a "backend-down" fault for the app on "a1.rates.deposit"
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 503 "SERVICE_UNAVAILABLE"
    And the answer header "Retry-After" matches "^[0-9]+$"
    And the answer is signed by the bank
    And the answer reveals no internal detail
    And the bank raises an alarm "backend-unavailable" for the app
    And the bank's health shows "a1.rates.deposit" degraded by the app's fault, with the server's resources
    And the metrics count 1 failed call of the app to "a1.rates.deposit" with code "SERVICE_UNAVAILABLE"
    When the operator clears the app's faults
    And the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 200
    And the bank's health no longer shows the app's fault

  @JR0185-10.1.2/1
  Scenario: A fault behind one interface leaves the app's other interfaces and other apps answering
    Given another A1 app
    And the operator injects a "backend-down" fault for the app on "a1.rates.deposit"
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 503 "SERVICE_UNAVAILABLE"
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    When the other app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 200

  @JR0185-10.1.1/2b
  Scenario: An error-rate surge on one interface raises an alarm
    Given the operator injects an "error-rate" fault of 0.5 for the app on "a1.products.list"
    When the app calls "GET /a1/v1/products?page_size=1" 12 times
    Then 6 of the app's answers were 503 "SERVICE_UNAVAILABLE"
    And 6 of the app's answers were 200
    And the bank raises an alarm "error-rate" for the app
    And the metrics count 6 failed calls of the app to "a1.products.list" with code "SERVICE_UNAVAILABLE"

  @JR0185-10.2.1/2
  Scenario: A surge of failed business calls throttles only that app and sends it a signed notice
    Given another A1 app
    When the app calls "GET /a1/v1/products/XYZ9999" 10 times
    And the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 429 "APP_THROTTLED"
    And the answer header "Retry-After" matches "^[0-9]+$"
    And the bank raises an alarm "abnormal-pattern" for the app
    And the bank has sent the app a signed event notice "risk.throttled"
    When the other app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    And the bank raises no alarm "abnormal-pattern" for the other app
