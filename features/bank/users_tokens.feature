@A2
Feature: Tokens come only from the user's own consent, are bound, short-lived and revocable
  JR/T 0185-2020 10.2.2 a): 身份认证服务等授权类服务应充分识别是否经过用户本人授权。
  JR/T 0185-2020 9.2.1 b) 3): 商业银行应对商业银行应用程序接口连接时间进行限制（如设置接口会话或令牌有效期），依据业务必须的最小时间设计有效期，避免长期有效连接。
  JR/T 0185-2020 9.3.1 3): 商业银行应结合具体场景，依据业务必须的最小时间设计用户会话有效期……
  JR/T 0185-2020 9.3.2 a) 3): 商业银行应对API的调用有效期进行控制（如单次有效、阶段性有效、协议期限内有效）。
  JR/T 0185-2020 9.3.2 b) 2): 商业银行应为用户提供关闭商业银行应用程序接口相关服务的申请渠道，如电子银行或营业网点等。

  The authorization code the user's consent produces is redeemed only by the App_ID it
  was issued to, with the PKCE verifier, once. The access token lives at most five
  minutes and the consent its stated days; the user can close the partner's access in
  the bank's portal and the partner can revoke its own grant.

  Time passes through a sandbox test control for this scenario's app or session only
  (POST /admin/v1/apps/{id}/backdate, /admin/v1/sessions/backdate): the bank's own
  expiry checks decide, and no other scenario's tokens or timestamps move.

  Background:
    Given an A2 app
    And another A2 app

  @JR0185-10.2.2/1
  Scenario: An authorization code cannot be redeemed by another App_ID
    When "zhangsan" opens the app's authorization page for "accounts:read" valid for 30 days
    And "zhangsan" approves with all accounts
    Then the bank sends "zhangsan" back to the app with an authorization code
    When the other app redeems "zhangsan"'s authorization code
    Then the bank answers 400 "AUTH_CODE_INVALID"
    When the app redeems "zhangsan"'s authorization code
    Then the bank answers 200
    And the answer is signed by the bank

  @JR0185-10.2.2/1
  Scenario: An authorization code cannot be redeemed without its PKCE verifier
    When "lisi" opens the app's authorization page for "accounts:read" valid for 30 days
    And "lisi" approves with all accounts
    Then the bank sends "lisi" back to the app with an authorization code
    When the app redeems "lisi"'s authorization code without the PKCE verifier
    Then the bank answers 400 "PKCE_REQUIRED"
    # issue 14: a failed PKCE check voids the code, the right verifier comes too late
    When the app redeems "lisi"'s authorization code
    Then the bank answers 400 "AUTH_CODE_USED"

  @JR0185-10.2.2/1 @JR0185-9.3.2/1c
  Scenario: An authorization code redeemed twice is refused and its tokens stop working
    When "wangwu" opens the app's authorization page for "accounts:read" valid for 30 days
    And "wangwu" approves with all accounts
    Then the bank sends "wangwu" back to the app with an authorization code
    When the app redeems "wangwu"'s authorization code
    Then the bank answers 200
    When the app redeems "wangwu"'s authorization code
    Then the bank answers 400 "AUTH_CODE_USED"
    When the app calls "GET /a2/v1/accounts" for "wangwu"
    Then the bank answers 403 "CONSENT_REVOKED"

  @JR0185-9.2.1/b3 @JR0185-9.3.1/3
  Scenario: An access token is refused once its five-minute lifetime has passed
    Given "zhangsan" has consented to the app for "accounts:read"
    Then "zhangsan"'s access token lives 300 seconds at most
    When all but a minute of the lifetime of "zhangsan"'s access token passes for the app
    And the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 200
    When the lifetime of "zhangsan"'s access token passes for the app
    And the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 401 "TOKEN_EXPIRED"
    And the answer is signed by the bank

  @JR0185-9.3.2/1c
  Scenario: An account-information consent is refused once its validity has passed
    When "lisi" opens the app's authorization page for "accounts:read" valid for 1 day
    And "lisi" approves with all accounts
    Then the bank sends "lisi" back to the app with an authorization code
    When the app redeems "lisi"'s authorization code
    Then the bank answers 200
    When 1 day and a second pass for the app
    And the app calls "GET /a2/v1/accounts" for "lisi"
    Then the bank answers 403 "CONSENT_EXPIRED"

  @JR0185-9.3.2/2
  Scenario: A consent the user revokes in the portal stops the partner's next call
    Given "wangwu" has consented to the app for "accounts:read"
    When the app calls "GET /a2/v1/accounts" for "wangwu"
    Then the bank answers 200
    When "wangwu" revokes the app's consent in the portal
    And the app calls "GET /a2/v1/accounts" for "wangwu"
    Then the bank answers 403 "CONSENT_REVOKED"

  @JR0185-9.3.2/1c
  Scenario: A grant the partner revokes stops working
    Given "zhangsan" has consented to the app for "accounts:read"
    When the app revokes "zhangsan"'s refresh token
    Then the bank answers 200
    When the app calls "GET /a2/v1/accounts" for "zhangsan"
    Then the bank answers 403 "CONSENT_REVOKED"

  # issue 13 item 4: the refresh-token grant, revocation of one access token, and
  # single-use credentials sent together (mutation survivors of consent.Service)
  @JR0185-9.2.1/b3 @JR0185-9.2.1/b4
  Scenario: A refresh token works for its App_ID only, is rotated on use, and a rotated one presented again ends the grant
    Given "lisi" has consented to the app for "accounts:read"
    Then the refresh token of "lisi" is refused to the other app, rotated on use for the app, and its new tokens work
    And the rotated refresh token of "lisi" presented again is refused 400 "REFRESH_TOKEN_REUSED" and ends the grant

  @JR0185-9.2.1/b4
  Scenario: An access token revoked alone is refused as revoked while its grant stands
    Given "wangwu" has consented to the app for "accounts:read"
    Then the app revokes "wangwu"'s access token alone, which is then refused 401 "TOKEN_REVOKED" while a refresh still works

  @JR0185-10.2.2/1 @JR0185-9.2.1/b3
  Scenario: The token endpoint refuses codes and refresh tokens the bank never issued
    Given "zhangsan" has consented to the app for "accounts:read"
    Then the token endpoint refuses codes the bank never issued with 400 "AUTH_CODE_INVALID" and refresh tokens it never issued with 400 "REFRESH_TOKEN_INVALID"

  @JR0185-9.3.2/2 @JR0185-10.2.2/1
  Scenario: A code whose consent the user revoked before it was redeemed gets no tokens
    When "wangwu" opens the app's authorization page for "accounts:read" valid for 30 days
    And "wangwu" approves with all accounts
    Then the bank sends "wangwu" back to the app with an authorization code
    When "wangwu" revokes the app's consent in the portal
    And the app redeems "wangwu"'s authorization code
    Then the bank answers 403 "CONSENT_REVOKED"

  @JR0185-10.2.2/1
  Scenario: One authorization code redeemed eight times at once gets tokens once
    When "zhangsan" opens the app's authorization page for "accounts:read" valid for 30 days
    And "zhangsan" approves with all accounts
    Then the bank sends "zhangsan" back to the app with an authorization code
    And 8 redemptions of "zhangsan"'s authorization code sent together: exactly one gets tokens, every other is refused 400 "AUTH_CODE_USED"

  @JR0185-9.2.1/b4
  Scenario: One refresh token presented eight times at once refreshes once
    Given "lisi" has consented to the app for "accounts:read"
    Then 8 refreshes with "lisi"'s refresh token sent together: exactly one gets tokens, every other is refused

  @JR0185-10.2.2/1 @JR0185-9.3.2/1b
  Scenario: A malformed authorization request goes back to the app as invalid_request
    Then every malformed authorization request is sent back to the app with error "invalid_request" and its state, before any login
