Feature: The bank authenticates, checks and limits every call by its App_ID
  JR/T 0185-2020 9.2.1 a) 2): 商业银行应对应用唯一标识App_ID进行存储与统一管理，并根据应用唯一标识App_ID进行应用身份认证、状态校验和权限控制等。
  JR/T 0185-2020 7.3.1: 商业银行应根据不同应用方的服务需求，按照最小授权原则，对其相应接口权限进行授权管理，当服务需求变更时，需及时评估和调整接口权限。
  JR/T 0185-2020 9.2.1 b) 4): 商业银行应具备对商业银行应用程序接口主动断开连接（如主动失效令牌）的功能，具备发现恶意连接可主动处理的能力。
  JR/T 0185-2020 10.1.2 1) b): 应建立未授权和冒用商业银行应用程序接口的监测机制，发现问题及时处置；
  JR/T 0185-2020 10.1.2 1) d): 应具备应用方黑名单管理能力。

  The operator's actions through the admin API (suspend, blacklist, grants) take effect
  on the very next call; calls naming an unknown App_ID and bursts of forged signatures
  are refused, reported as alarms, and a forging App_ID is paused (the sandbox's default
  auth_fail_limit pauses an App_ID after 10 failures within a minute; the scenario sends 12).

  @A2 @JR0185-9.2.1/a2 @JR0185-10.1.2/1b
  Scenario: A call naming an unknown App_ID is refused and reported as an alarm
    Given an A2 app
    When the app calls "POST /a2/v1/oauth/revoke" as an unknown App_ID with body:
      """
      token=anything
      """
    Then the bank answers 401 "APP_UNKNOWN"
    And the answer is signed by the bank
    And the bank has raised an "unknown-app" alarm for the App_ID the app claimed

  @A2 @JR0185-9.2.1/a2 @JR0185-9.2.1/b4
  Scenario: A suspended App_ID is refused until the operator reactivates it
    Given an A2 app
    When the operator suspends the app
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 403 "APP_SUSPENDED"
    And the answer is signed by the bank
    When the operator reactivates the app
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 200

  @A1 @JR0185-10.1.2/1d @JR0185-9.2.1/b4 @JR0185-9.2.1/a2
  Scenario: A blacklisted App_ID is refused with its own code and removing it from the blacklist restores access
    Given an A1 app
    When the operator blacklists the app
    And the app calls "GET /a1/v1/products"
    Then the bank answers 403 "APP_BLACKLISTED"
    And the answer is signed by the bank
    And the bank has raised a "blacklisted-call" alarm for the app
    When the operator unblacklists the app
    And the app calls "GET /a1/v1/products"
    Then the bank answers 403 "APP_SUSPENDED"
    When the operator reactivates the app
    And the app calls "GET /a1/v1/products"
    Then the bank answers 200

  @A2 @JR0185-10.1.2/1d @JR0185-9.2.1/a2
  Scenario: A blacklisted A2 App_ID is refused on every A2 interface
    Given an A2 app
    When the operator blacklists the app
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 403 "APP_BLACKLISTED"
    When the app calls "GET /a2/v1/payments/PAYAAAAAAAAAAAAAAAAAAAA"
    Then the bank answers 403 "APP_BLACKLISTED"

  @A2 @JR0185-7.3.1/1 @JR0185-9.2.1/a2
  Scenario: An App_ID reaches only the interfaces granted to it, and changed grants apply on the next call
    Given an A2 app granted only "oauth:token"
    When the app calls "GET /a2/v1/payments/PAYAAAAAAAAAAAAAAAAAAAA"
    Then the bank answers 403 "SCOPE_NOT_GRANTED"
    And the answer is signed by the bank
    When the operator grants the app only "oauth:token payments:read"
    And the app calls "GET /a2/v1/payments/PAYAAAAAAAAAAAAAAAAAAAA"
    Then the bank answers 404 "PAYMENT_NOT_FOUND"
    When the operator grants the app only "payments:read"
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 403 "SCOPE_NOT_GRANTED"

  @A1 @JR0185-7.3.1/1
  Scenario: An A1 App_ID granted only product queries is refused deposit rates
    Given an A1 app granted only "products:read"
    When the app calls "GET /a1/v1/products?page_size=1"
    Then the bank answers 200
    When the app calls "GET /a1/v1/deposit-rates"
    Then the bank answers 403 "SCOPE_NOT_GRANTED"

  @A2 @JR0185-10.1.2/1b @JR0185-9.2.1/b4
  Scenario: An App_ID sending a burst of forged signatures is paused and reported
    Given an A2 app
    When the app sends 12 calls "POST /a2/v1/oauth/revoke" signed with an unregistered key with body:
      """
      token=anything
      """
    And the app calls "POST /a2/v1/oauth/revoke" with body:
      """
      token=anything
      """
    Then the bank answers 403 "APP_AUTH_LOCKED"
    And the answer header "Retry-After" matches "^[1-9][0-9]*$"
    And the answer is signed by the bank
    And the bank has raised an "auth-failures" alarm for the app
    And the bank's metrics count "auth-failures" alarms
