@A2
Feature: Users authenticate only at the bank's own pages, with two factors
  JR/T 0185-2020 7.2.1 b) 1): 商业银行应结合金融服务场景，对不同安全级别的商业银行应用程序接口设计不同级别的用户身份认证机制。
  JR/T 0185-2020 7.2.1 b) 2): 用户身份认证应在商业银行执行，对于A2级别接口中的资金交易类服务，用户登录身份认证应至少使用双因子认证的方式来保护账户财产安全。
  JR/T 0185-2020 7.2.2 c) 1): 登录口令、支付密码等支付敏感信息在数据交互过程中应使用包括但不限于替换输入框原文……等安全防护措施，保证无法获取支付敏感信息明文；
  JR/T 0185-2020 7.2.2 d): 应在交易认证结束后及时清除用户支付敏感信息，防范攻击者通过读取临时文件、内存数据等方式获得全部或部分用户信息。
  JR/T 0185-2020 9.3.1 1): 用户身份认证应在商业银行完成，若用户个人金融信息或支付敏感信息确需在应用方输入，应用方不应以任何方式在本地留存相关信息。
  JR/T 0185-2020 9.3.1 3): 商业银行应结合具体场景，依据业务必须的最小时间设计用户会话有效期，用户长期处于无业务操作时，应结束会话。

  Account data needs a user's token, and a token comes only from the user's login and
  consent at the bank: no partner API takes the user's password. The login page masks
  the password, is neither framable nor cached, and never writes a typed password back.
  A bank session left idle for its published five minutes ends.

  Background:
    Given an A2 app

  @JR0185-7.2.1/b1 @JR0185-7.2.1/b2 @JR0185-9.3.2/1b @JR0185-9.3.1/1
  Scenario: Account information without a user's token is refused and no API takes the user's password
    When the app calls "GET /a2/v1/accounts"
    Then the bank answers 401 "TOKEN_INVALID"
    And the answer is signed by the bank
    When the app sends "zhangsan"'s password to the token endpoint
    Then the bank refuses it without issuing a token
    And the typed password appears nowhere in the answer

  @JR0185-7.2.2/3a @JR0185-7.2.2/4 @JR0185-9.3.1/1
  Scenario: The login page masks the password and cannot be framed or cached
    When a browser opens the bank's login page
    Then the bank answers 200
    And the login form masks the password and turns autocomplete off
    And the page is protected against framing and caching

  @JR0185-7.2.2/3a @JR0185-7.2.2/4
  Scenario: A failed login never writes the typed password back
    When someone fails to log in with an unknown username and a password
    Then the bank refuses on the page with "LOGIN_FAILED"
    And the typed password appears nowhere in the answer
    And the login form masks the password and turns autocomplete off

  @JR0185-9.3.1/3
  Scenario: A bank session idle for five minutes must log in again
    Given "wangwu" is logged in at the bank
    When "wangwu"'s bank session is idle for 4 minutes
    And "wangwu" opens the portal
    Then the bank answers 200
    And the page is protected against framing and caching
    When "wangwu"'s bank session is idle for 5 minutes
    And "wangwu" opens the portal
    Then the bank sends "wangwu" to log in again, saying the session expired

  @JR0185-9.3.1/3
  Scenario: A session token the bank never issued is sent to log in, not told it expired
    Given "lisi" is logged in at the bank
    When "lisi"'s browser presents a session token the bank never issued
    And "lisi" opens the portal
    Then the bank sends "lisi" to log in again, not saying the session expired
