@A1 @A2
Feature: What a 600-case attack on the bank found stays fixed
  JR/T 0185-2020 7.1 7): 异常与调试信息不应泄漏服务器、中间件、数据库等软硬件信息或内部网络信息。
  JR/T 0185-2020 7.2.2 1): 应对接口传输的数据进行有效性校验，如校验接口版本、参数格式等要素是否与平台设计保持一致。
  JR/T 0185-2020 9.2.2 3): 宜使用TLS 1.2及以上版本的安全传输协议，保证数据传输的安全性。
  JR/T 0185-2020 10.1.2 1) b): 对接口的非授权使用、冒用等行为进行监测并及时处置。
  JR/T 0185-2020 10.2.2 a): 身份认证服务等授权类服务应充分识别是否经过用户本人授权。
  JR/T 0185-2020 12.3 2): 商业银行应根据业务及风险控制需要，遵循最少够用原则适当保留应用方上送报文。

  Issue 14: 600 distinct bad requests against a sandbox-mode bank found what got through.
  Each finding is judged here over the wire, so any bank is judged on the same points:
  credentials kept only as SM3 fingerprints in the audit log, one strict body format per
  interface, no internal type names, bounded operator and registration fields, HTTP
  that is well-formed or refused, admin-token guessing shut out and alarmed, HSTS, TLS
  sessions that cannot be resumed a day later, and PKCE failures that void the code.
  Bounds come from the bank's own /docs/limits.json ("operator").

  @JR0185-12.3/2 @JR0185-7.3.3/1
  Scenario: The audit log keeps a grant's credentials only as SM3 fingerprints
    Given an A2 app
    When "zhangsan" consents and the app redeems the code, refreshes the tokens and revokes them
    Then the bank's audit records of those calls hold none of the credentials, each only as its SM3 fingerprint

  @JR0185-7.2.2/1 @JR0185-7.1/7
  Scenario: Every interface with a body takes one strict format and refuses the rest
    Then the bank enforces "BODY-STRICT" on every surface it guards

  @JR0185-7.2.2/1 @JR0185-7.1/7
  Scenario: Registration and the operator's interfaces take strict JSON and name no internal type
    Given an A1 app
    Then the self-service registration and the operator's interfaces refuse every malformed body with its catalogued code, naming no internal type

  @JR0185-7.2.2/1
  Scenario: Operator and registration fields are bounded at their edges
    Given an A1 app
    Then the operator's and the registration's fields are refused just outside their published bounds and accepted just inside

  @JR0185-7.2.2/1 @JR0185-9.2.2/3
  Scenario: A request that is not well-formed HTTP/1.1 is refused with its own code
    Then the bank refuses every request that is not well-formed HTTP/1.1 with 400 "REQUEST_MALFORMED", telling browsers to use HTTPS only

  @JR0185-10.1.2/1b
  Scenario: Guessing the admin token shuts the address out and raises an alarm
    Then wrong admin tokens from one address are counted up to the published limit, then the address is shut out and an alarm raised

  @JR0185-9.2.2/3
  Scenario: Every answer and page tells browsers to use HTTPS only
    Then the bank enforces "HSTS" on every surface it guards

  @JR0185-9.2.2/3
  Scenario: A TLS session cannot be resumed a day after it began
    Then no TLS 1.2 session of the bank can be resumed 24 hours after it began
    And no TLS 1.3 session of the bank can be resumed 24 hours after it began

  @JR0185-10.2.2/1
  Scenario: A wrong PKCE verifier voids the authorization code
    Given an A2 app
    When "wangwu" opens the app's authorization page for "accounts:read" valid for 30 days
    And "wangwu" approves with all accounts
    Then the bank sends "wangwu" back to the app with an authorization code
    When the app redeems "wangwu"'s authorization code with a wrong PKCE verifier
    Then the bank answers 400 "PKCE_VERIFIER_INVALID"
    When the app redeems "wangwu"'s authorization code
    Then the bank answers 400 "AUTH_CODE_USED"
