@A2
Feature: The user's explicit consent at the bank, informed of scope, validity and risk
  JR/T 0185-2020 9.3.2 a) 2): 对于获取、使用、变更用户信息、账户、资金等接口，应用方调用接口时，应首先取得用户明示同意，其内容应包含授权有效期；
  JR/T 0185-2020 10.2.2 a): 身份认证服务等授权类服务应充分识别是否经过用户本人授权。
  JR/T 0185-2020 10.2.2 c): 资金类等高风险金融服务，应提示用户相关的安全风险，充分履行用户告知义务。
  JR/T 0185-2020 7.2.1 b) 2): 对于A2级别接口中的资金交易类服务，用户登录身份认证应至少使用双因子认证的方式来保护账户财产安全。

  The consent page names the partner, what it may do, the user's accounts (masked) and
  how long the consent lasts. A payment consent also shows the amount, the payee and a
  risk notice, and takes a one-time code for that payment on top of the login: the
  password alone or a wrong code approves nothing. A refusal goes back to the partner as
  error=access_denied.

  Background:
    Given an A2 app

  @JR0185-9.3.2/1b @JR0185-10.2.2/1 @JR0185-7.2.2/4
  Scenario: The consent page names the partner, the permissions, the accounts and the validity
    When "zhangsan" opens the app's authorization page for "accounts:read balances:read" valid for 30 days
    Then the page names the app and its App_ID
    And the page shows "查看账户余额"
    And the page lets "zhangsan" choose among their accounts, masked
    And the page shows "30 天"
    And the page is protected against framing and caching

  @JR0185-10.2.2/3 @JR0185-9.3.2/1b
  Scenario: The payment consent page shows the risk notice, the amount, the payee and the validity
    When "zhangsan" opens the app's payment authorization page for 12.34 yuan to "李四" account "6222020000000002"
    Then the page names the app and its App_ID
    And the page shows a risk notice
    And the page shows "12.34"
    And the page shows "李四"
    And the page shows the payee account masked as ending in "0002" and never in full "6222020000000002"
    And the page shows "单次有效"

  @JR0185-7.2.1/b2 @JR0185-7.2.1/b1
  Scenario: A payment consent needs the one-time code on top of the password
    When "zhangsan" opens the app's payment authorization page for 8.00 yuan to "李四" account "6222020000000002"
    And "zhangsan" approves the payment without a one-time code
    Then the bank refuses on the page with "OTP_REQUIRED"
    When "zhangsan" approves the payment with a wrong one-time code
    Then the bank refuses on the page with "OTP_INVALID"
    When "zhangsan" approves the payment with the one-time code from the phone
    Then the bank sends "zhangsan" back to the app with an authorization code

  @JR0185-10.2.2/1
  Scenario: A refused consent returns access_denied and no code
    When "lisi" opens the app's authorization page for "accounts:read" valid for 7 days
    And "lisi" refuses
    Then the bank sends "lisi" back to the app with error "access_denied"
