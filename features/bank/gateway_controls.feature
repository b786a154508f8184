@A1 @A2
Feature: The gateway's controls hold on every interface, at their published edges
  JR/T 0185-2020 6.2 A2: 若确需使用API直接连接方式进行服务调用，商业银行应对接入风险进行评估，并制定专门的接口与应用方进行对接，实施高等级的安全保护强度要求。
  JR/T 0185-2020 7.2.1 a) 2): 对于A2级别接口、应用方身份认证时，应使用包含数字证书或公私钥对的方式进行双向身份认证。
  JR/T 0185-2020 7.2.2 2): 应采取数据完整性保护措施……对于A2级别的接口，商业银行和应用方应使用数字签名来保证数据的完整性和不可抵赖性。
  JR/T 0185-2020 7.3.2: 商业银行应充分考虑各类安全风险，采取有效手段防范注入攻击、重放攻击、数据篡改等攻击手段。
  JR/T 0185-2020 7.3.1: 商业银行应根据不同应用方的服务需求，按照最小授权原则，对其相应接口权限进行授权管理。
  JR/T 0185-2020 9.2.1 b) 3): 商业银行应对商业银行应用程序接口连接时间进行限制（如设置接口会话或令牌有效期），依据业务必须的最小时间设计有效期，避免长期有效连接。
  JR/T 0185-2020 10.1.2 1) a): 应具备商业银行应用程序接口调用流量控制能力，控制规则包括最大允许商业银行应用程序接口调用并发数、单位时间最大交易调用量等，控制措施包括告警、暂停、拒绝等；

  Each scenario judges one control of features/bank/controls.yaml on every interface of
  the bank's published catalogue it guards: a request the bank must admit is built for
  each, spoilt in one way at a time, and must be refused with the catalogued code in an
  answer signed by the bank — and admitted unspoilt. Windows and memories are those the
  bank publishes in /docs/limits.json, probed 30 seconds inside and outside.

  @JR0185-6.2/A2 @JR0185-7.2.1/a2 @JR0185-9.2.1/b2
  Scenario: Every A2 interface refuses the A1 App_Secret MAC scheme and admits an SM2 signature
    Then the bank enforces "AUTH-SCHEME" on every surface it guards

  @JR0185-6.2/A2 @JR0185-6.2/A2c @JR0185-7.3.1/1
  Scenario: Every A2 interface refuses an A1 App_ID even when it holds A2 credentials and every scope
    Then the bank enforces "LEVEL-A2" on every surface it guards

  @JR0185-9.2.1/a1 @JR0185-9.2.1/a2 @JR0185-9.2.1/b1
  Scenario: Every interface refuses an unknown App_ID and a key serial the App_ID does not hold
    Then the bank enforces "CREDENTIALS-KNOWN" on every surface it guards

  @JR0185-7.3.4/3 @JR0185-9.2.1/b4 @JR0185-9.2.1/a1
  Scenario: Every interface refuses an expired or revoked key or App_Secret and admits the current one
    Then the bank enforces "CREDENTIALS-VALID" on every surface it guards

  @JR0185-7.2.2/2 @JR0185-7.3.2/1
  Scenario: Every interface admits timestamps just inside the published window and refuses them just outside, past and future
    Then the bank enforces "TIMESTAMP-WINDOW" on every surface it guards

  @JR0185-7.2.2/2 @JR0185-7.3.2/1
  Scenario: Every interface refuses a nonce used again by its App_ID, at once and late in the nonce memory, but not another App_ID's
    Then the bank enforces "NONCE-SINGLE-USE" on every surface it guards

  @JR0185-9.2.1/b1 @JR0185-7.2.2/1 @JR0185-7.2.2/2
  Scenario: Every interface takes a nonce at its published lengths and alphabet and refuses it outside them
    Then the bank enforces "AUTH-PARAMS" on every surface it guards

  @JR0185-7.2.1/a2 @JR0185-9.2.1/b2 @JR0185-6.2/A2c
  Scenario: Every A2 interface refuses a missing, self-signed, expired, revoked or foreign client certificate
    Then the bank enforces "CLIENT-CERT" on every surface it guards

  @JR0185-9.2.1/b3 @JR0185-9.2.1/b4 @JR0185-9.3.2/1a @JR0185-9.3.2/1b
  Scenario: Every interface acting for a user refuses a token of another App_ID, over another certificate, without the scope, expired or revoked
    Then the bank enforces "TOKEN-BOUND" on every surface it guards

  @JR0185-7.3.1/1 @JR0185-9.3.2/1a @JR0185-9.2.1/a2
  Scenario: Every interface refuses an App_ID not granted its scope and admits it once granted
    Then the bank enforces "APP-GRANTS" on every surface it guards

  @JR0185-10.1.2/1a
  Scenario: Every interface admits calls up to the App_ID's burst and refuses the next with 429 and Retry-After
    Then the bank enforces "FLOW-CONTROL" on every surface it guards

  # issue 13 item 4: the concurrent-call limit at its edge, and slots given back
  @JR0185-10.1.2/1a
  Scenario: An App_ID's calls in flight are held to its concurrency limit, and every call gives its slot back
    Given an A1 app
    Then of 3 calls the app holds in flight at once under a limit of 2 concurrent calls, exactly 2 are admitted and the rest refused 429 "CONCURRENCY_LIMITED"
    And once they have finished, the app's next call is admitted under a limit of 1 concurrent call
